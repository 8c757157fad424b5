"""The eval's repairing caller, and the understanding of repairs: parts of numbers, ruled-out details,
letters of a name."""

from datetime import date

from parley.dialogue.nlu import phone_part, spelled_as_said, understand
from parley.voice.app.measure.repair import Want, asked_for, repair, spoken_digits

TODAY = date(2026, 11, 28)
WANT = Want({"party_size": 5, "day": "2026-12-03", "at": "19:30", "name": "Ana Lopez", "phone": "5551234"}, TODAY)
READ_BACK = ("Let me read that back. That's a table for {n} people Thursday the 3rd of December at 7:30 pm, "
             "under Ana Lopez, on 5 5 5 1 2 3 4. Shall I go ahead?")


def test_phone_numbers_are_read_in_groups_with_oh_for_zero():
    assert spoken_digits("5551234") == "five five five, one two three four"
    assert spoken_digits("07700900123") == "oh seven seven oh oh, nine oh oh, one two three"
    assert spoken_digits("2125550199") == "two one two, five five five, oh one nine nine"


def test_a_read_back_is_checked_detail_by_detail_as_parley_says_them():
    assert WANT.read_back_errors(READ_BACK.format(n=5)) == []
    assert WANT.read_back_errors(READ_BACK.format(n=4)) == ["party_size"]


def test_the_caller_corrects_a_wrong_read_back_before_accepting_it():
    wrong = READ_BACK.format(n=4)
    assert repair(wrong, "Ana Lopez, 555 1234.", "go ahead", "Yes.", WANT, True) == "No, we are 5 people."
    assert repair(READ_BACK.format(n=5), "Ana Lopez, 555 1234.", "go ahead", "Yes.", WANT, True) is None
    assert repair(wrong, "Ana Lopez, 555 1234.", "go ahead", "No, it's for five.", WANT, True) is None  # their own
    assert repair(wrong, "Ana Lopez, 555 1234.", "go ahead", "Yes.", WANT, False) is None  # changed in a later call


def test_the_caller_answers_what_was_asked_or_says_the_line_again():
    assert asked_for("Sorry, I missed that. Could I have a phone number?") == "phone"
    assert asked_for("Let's try it another way: please spell the name for me, letter by letter.") == "name"
    assert asked_for("I have the name as Merlow. Could you spell it for me, letter by letter?") == "name"
    assert asked_for("We're at 12 Harbour Street.") is None
    assert repair("Sorry, I didn't catch that. And your name, please?", "Ana Lopez.", "number", None, WANT,
                  True) == "The name is Ana Lopez."
    assert repair("Sorry, I didn't catch that.", "Tuesday then.", "name", None, WANT, True) == "Tuesday then."
    assert repair("Can I take a name for the booking?", "Tuesday then.", "name", None, WANT, True) is None


def test_part_of_a_number_is_corrected_on_its_own():
    assert phone_part("no the last 4 are 4 4 4 4") == ("last", "4444")
    assert phone_part("no the 1th 3 digits are 5 5 6") == ("first", "556")
    assert phone_part("it ends in 9 9") == ("last", "99")
    assert phone_part("the last 4 are 4 4") is None  # not what it says it is
    assert phone_part("no the last 4 are for 3 to 1") == ("last", "4321")  # as Whisper writes "four three two one"
    assert phone_part("no the last 4 earlier for 3 to 1") == ("last", "4321")  # "are" heard as "earlier"
    u = understand("No, the last four are four four four four.", TODAY, "confirm")
    assert u.phone_part == ("last", "4444") and u.party_size is None and u.phone is None and u.act == "correct"


def test_a_detail_ruled_out_is_not_taken():
    assert understand("Not Tuesday, Thursday.", TODAY, "confirm").day == date(2026, 12, 3)
    assert understand("Thursday, not Tuesday.", TODAY, "confirm").day == date(2026, 12, 3)
    assert understand("No, not four, five people.", TODAY, "confirm").party_size == 5


def test_a_letter_said_with_a_name_spells_it():
    assert spelled_as_said("Lopes", "it's lopes with a zed") == "Lopez"
    assert spelled_as_said("Katy", "katy with a k") == "Katy"  # it has one already
    assert spelled_as_said("Thomson", "thomson with a p") == "Thomson"  # a letter with no sound-alike
    assert understand("It's Lopez with a zed.", TODAY, "confirm").name == "Lopez"
    assert understand("It's correct.", TODAY, "confirm").name is None


def test_asked_to_spell_the_caller_spells_and_the_letters_are_the_name():
    from parley.dialogue.nlu import spelled_name

    spelled = WANT.answer("name", spell=True)
    assert spelled == "A, N, A. L, O, P, E, Z."
    assert repair("Let's try it another way: please spell the name for me, letter by letter.", "Ana Lopez.",
                  "number", None, WANT, True) == spelled
    assert spelled_name(spelled) == "Ana Lopez" and spelled_name("S H A H") == "Shah"  # as Whisper writes it
    assert spelled_name("L-O-P-E-Z") == "Lopez" and spelled_name("Ana Lopez") is None
    assert understand("S H A H.", TODAY, "name").name == "Shah"


def test_the_detail_asked_for_wins_over_one_mentioned():
    assert asked_for("I heard 8 digits. Could you say the number again, one digit at a time?") == "phone"
    assert asked_for("Let's try it another way: is it a table for two? Say yes, or just the number.") == "party_size"
    assert asked_for("On Sunday we're open from 12 pm to 9 pm. What day were you thinking of?") == "day"


def test_a_question_about_last_time_is_recall_however_book_was_heard():
    for heard in ("What did I book last time?", "What did I do last time?", "What did I put last time?"):
        assert "recall" in understand(heard, TODAY).intents, heard


def test_spelled_letters_as_whisper_writes_them_and_as_people_spell():
    from parley.dialogue.nlu import spelled_name

    assert spelled_name("S. H. A. H.") == "Shah"  # a full stop after each letter ends no word
    assert spelled_name("K, A, T, Why.") == "Katy" and spelled_name("See, A, R, O, L.") == "Carol"
    assert spelled_name("Bravo, romeo, uniform, charlie, echo.") == "Bruce"
    assert spelled_name("B as in Bravo, E, N") == "Ben" and spelled_name("D, O, double L.") == "Doll"
    assert spelled_name("O apostrophe B R I E N") == "O'Brien"
    assert spelled_name("S M I T H hyphen J O N E S") == "Smith-Jones"
    assert spelled_name("Okay, see you.") is None and spelled_name("Oh, are you?") is None  # words, not letters
    assert understand("Bravo, oscar, bravo.", TODAY, "name").name == "Bob"
