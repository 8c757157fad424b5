"""The staff page in headless Chromium beside a voice call: the call's booking appears live, staff change it,
and a booking beyond the slot's tables is refused with the reason."""

from __future__ import annotations

import asyncio
import sqlite3

from parley.voice.app.measure.client import call
from tests.browser import chromium
from tests.test_server import running
from tests.test_staff import open_day

FIELDS = "document.querySelector('#booking').elements"


async def fill_and_save(page, **values) -> str:
    """Fill the booking form and press Save; the page's answer."""
    await page.evaluate("document.getElementById('message').textContent = ''")
    for name, value in values.items():
        await page.evaluate(f"{FIELDS}['{name}'].value = {value!r}")
    await page.evaluate("document.querySelector('#booking button[type=submit]').click()", gesture=True)
    return await page.wait_for("document.getElementById('message').textContent", 10)


def test_the_staff_page_shows_a_call_s_booking_live_changes_it_and_refuses_a_full_slot(config, engines, speak, tmp_path):
    db, day = tmp_path / "parley.db", open_day()
    lines = [speak(text, 1.1) for text in (f"I'd like a table for two on {day:%A} at seven pm.", "My name is John Smith.",
                                           "My number is five five five, one two three four.", "Yes please.",
                                           "No thank you, goodbye.")]
    rows = "[...document.querySelectorAll('#bookings tbody tr')]"

    async def scenario():
        async with running(config, engines, db) as url:
            page_url = url.replace("ws://", "http://").removesuffix("/ws") + "/staff"
            async with chromium(page_url, tmp_path / "profile", []) as page:
                await page.wait_for("document.getElementById('connection')?.dataset.state === 'open'", 20)
                await page.evaluate(f"const d = document.getElementById('day'); d.value = '{day.isoformat()}';"
                                    "d.dispatchEvent(new Event('change'))")
                await page.wait_for(f"document.getElementById('day').value === '{day.isoformat()}'", 10)
                await call(url, lines, "caller-1")
                booked = await page.wait_for(f"{rows}.map(r => r.textContent).join('|')", 20)  # no reload
                await page.evaluate(f"{rows}[0].querySelector('button').click()", gesture=True)  # Change
                changed = await fill_and_save(page, party_size="3")
                taken = [await fill_and_save(page, at="19:00", party_size="2", name=f"Guest {n}", phone="5550000")
                         for n in range(3)]
                refused = await fill_and_save(page, at="19:00", party_size="2", name="One too many", phone="5550001")
                refused_style = await page.evaluate("document.getElementById('message').className")
                full = await page.wait_for("[...document.querySelectorAll('#slots li.full')].map(e => e.textContent)"
                                           ".join()", 10)
                return booked, changed, taken, refused, refused_style, full

    booked, changed, taken, refused, refused_style, full = asyncio.run(scenario())
    assert "John Smith" in booked and "websocket" in booked and "19:00" in booked
    assert "saved" in changed and all("saved" in answer for answer in taken)
    assert refused == "We're fully booked at 7 pm." and refused_style == "refused"
    assert "19:00" in full
    with sqlite3.connect(db) as connection:
        john = connection.execute("select party_size, made_via from reservations where name = 'John Smith'").fetchall()
        assert john == [(3, "websocket")]
        assert connection.execute("select count(*) from reservations where made_via = 'staff'").fetchone() == (3,)
