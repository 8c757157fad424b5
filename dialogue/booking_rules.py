"""What a booking must be, whoever makes it (a caller or the restaurant's staff): each rule says why not, in words."""

from __future__ import annotations

from datetime import date, datetime, time

from parley.dialogue import phrases
from parley.dialogue.domain import Domain
from parley.dialogue.types import Booking, Calendar


def day_problem(domain: Domain, day: date, today: date) -> str | None:
    if day < today:
        return "That date has already passed."
    if (day - today).days > domain.days_ahead:
        return f"We only take bookings up to {domain.days_ahead} days ahead."
    if domain.opening(day) is None:
        return f"I'm afraid we're closed on {day.strftime('%A')}s."
    return None


def party_problem(domain: Domain, party_size: int) -> str | None:
    if not 1 <= party_size <= domain.seats_per_table:
        return f"Our largest table seats {domain.seats_per_table}."
    return None


def time_problem(domain: Domain, day: date, at: time, now: datetime) -> str | None:
    """Why `at` on `day` is no seating: off the grid, after the last seating, outside the hours, or past."""
    seatings = domain.seating_times(day)
    if at not in seatings:
        return why_not(domain, at, day, seatings, now.date())
    if datetime.combine(day, at) <= now:
        return "That time has already passed."
    return None


def why_not(domain: Domain, at: time, day: date, seatings: list[time], today: date) -> str:
    """Why a time cannot be booked: off the half-hour grid, after the last seating, or outside the hours."""
    if seatings and seatings[0] <= at <= seatings[-1]:
        return f"We seat guests on the hour and the half hour, so not at {phrases.clock(at)}."
    hours = domain.opening(day)
    if hours and seatings and seatings[-1] < at < hours[1]:
        return (f"Our last table {phrases.on_day(day, today)} is at {phrases.clock(seatings[-1])}, "
                f"as we close at {phrases.clock(hours[1])}.")
    return phrases.outside_hours(at, day, seatings, today)


def booking_problem(domain: Domain, calendar: Calendar, booking: Booking, now: datetime) -> str | None:
    """Why `booking` cannot be made (or moved, when it has an id) as it stands; None when it can."""
    if not booking.name.strip() or not booking.phone.strip():
        return "A booking needs a name and a phone number."
    reason = (party_problem(domain, booking.party_size) or day_problem(domain, booking.day, now.date())
              or time_problem(domain, booking.day, booking.at, now))
    if reason is None and calendar.free_tables(booking.day, booking.at, booking.id) < 1:
        return f"We're fully booked at {phrases.clock(booking.at)}."
    return reason
