"""The LLM brain against a real model on loopback: llama-cpp-python's server with SmolLM2-135M."""

import asyncio
import time

import pytest
from openai import AsyncOpenAI, OpenAI

from parley.dialogue.llm_brain import FORCE_INTERPRET, INTERPRET, LlmBrain, parse_reading
from tests.llama_server import LlamaServer, stream_problem
from tests.openai_stub import StubServer, text
from tests.test_llm_brain import NOW, embedded, reservation, say


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = LlamaServer(tmp_path_factory.mktemp("llama") / "server.log")
    running.check_streams()  # a server that answers with an empty stream fails here, saying why
    yield running
    running.kill()


def test_an_empty_stream_is_named_as_such_not_as_a_connection_error():
    stub = StubServer()
    try:
        stub.script.answers = ["empty", text("Hello there.")]
        assert stream_problem(stub.url).startswith("streamed no tokens")
        assert stream_problem(stub.url) is None
    finally:
        stub.close()


def brain(tmp_path, url: str, deadline: float) -> LlmBrain:
    client = AsyncOpenAI(base_url=url, api_key="local", max_retries=0, timeout=deadline)
    return LlmBrain(reservation(tmp_path / "llm.db"), client, "smollm2", deadline)


def test_the_tool_call_streams_in_pieces_and_parses(server):
    client = OpenAI(base_url=server.url, api_key="local")
    stream = client.chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "A table for two tomorrow at seven."}],
        tools=[INTERPRET], tool_choice=FORCE_INTERPRET, stream=True, temperature=0, max_tokens=96)
    pieces = [call.function.arguments for chunk in stream if chunk.choices
              for call in chunk.choices[0].delta.tool_calls or [] if call.function.arguments]
    assert len(pieces) > 3
    assert parse_reading("".join(pieces), NOW.date()).intent  # grammar-constrained: valid JSON, a known intent


def test_a_turn_goes_through_the_model_and_the_manager(tmp_path, server):
    llm = brain(tmp_path, server.url, deadline=60)
    reply = asyncio.run(say(llm, "Hi, I'd like to book a table for two tomorrow at seven pm."))
    assert llm.fallbacks == []
    assert reply == embedded(tmp_path, "Hi, I'd like to book a table for two tomorrow at seven pm.")  # rules win


def test_past_the_deadline_the_turn_goes_on_with_the_rules(tmp_path, server):
    llm = brain(tmp_path, server.url, deadline=0.05)
    assert asyncio.run(say(llm, "Do you have a table for four on Friday?")) == embedded(
        tmp_path, "Do you have a table for four on Friday?")
    assert "Timeout" in llm.fallbacks[0]


def test_a_server_killed_mid_stream_falls_back_within_the_turn(tmp_path):
    doomed = LlamaServer(tmp_path / "doomed.log")
    llm = brain(tmp_path, doomed.url, deadline=60)
    line = "Could I get a table for three on Saturday at eight?"

    async def turn_while_killing() -> str:
        reply = asyncio.create_task(say(llm, line))
        while doomed.requests_answered() == 0:  # the stream has started
            await asyncio.sleep(0.005)
        doomed.kill()
        return await reply

    try:
        started = time.monotonic()
        assert asyncio.run(turn_while_killing()) == embedded(tmp_path, line)
        assert time.monotonic() - started < 60  # fell back on the broken stream, not at the deadline
        [reason] = llm.fallbacks
        assert "Connection" in reason or "not JSON" in reason
    finally:
        doomed.kill()
