"""The shared speech-to-text queue with a slow fake engine: order, shedding, dropping, cancelling."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

import pytest

from parley.voice.audio import AudioChunk
from parley.voice.stt_queue import Dropped, Shed, SttQueue


class SlowSTT:
    """Transcribes `audio` as its length, after `hold` is set; notes the order it was asked in."""

    def __init__(self):
        self.hold = threading.Event()
        self.order: list[int] = []

    def transcribe(self, audio, expect=None) -> str:
        self.hold.wait(5)
        self.order.append(len(audio.audio))
        return str(len(audio.audio))


def audio(size: int) -> AudioChunk:
    return AudioChunk(bytes(size))


def test_a_turn_that_ended_goes_before_waiting_speculations_and_busy_speculation_is_shed():
    async def scenario():
        stt = SlowSTT()
        queue = SttQueue(stt)
        first = asyncio.create_task(queue.transcribe(audio(2)))  # takes the engine
        await asyncio.sleep(0.05)
        with pytest.raises(Shed):
            await queue.transcribe(audio(4), speculative=True)
        endpoint = asyncio.create_task(queue.transcribe(audio(6)))
        await asyncio.sleep(0.05)
        stt.hold.set()
        results = await asyncio.gather(first, endpoint)
        return stt.order, [r.text for r in results], results[1].wait_seconds, queue.shed

    order, texts, waited, shed = asyncio.run(scenario())
    assert order == [2, 6] and texts == ["2", "6"] and waited > 0.03 and shed == 1


def test_turns_that_ended_are_served_in_the_order_they_came():
    async def scenario():
        stt = SlowSTT()
        queue = SttQueue(stt, workers=1)
        tasks = [asyncio.create_task(queue.transcribe(audio(size))) for size in (2, 4, 6)]
        await asyncio.sleep(0.05)
        stt.hold.set()
        await asyncio.gather(*tasks)
        return stt.order

    assert asyncio.run(scenario()) == [2, 4, 6]


def test_a_speculation_the_caller_has_overtaken_is_dropped_and_frees_its_place():
    async def scenario():
        stt = SlowSTT()
        stt.hold.set()
        queue = SttQueue(stt)
        with pytest.raises(Dropped):
            await queue.transcribe(audio(2), speculative=True, stale=lambda: True)
        after = await queue.transcribe(audio(4))
        return after.text, queue.dropped, queue._running

    assert asyncio.run(scenario()) == ("4", 1, 0)


def test_a_cancelled_caller_neither_leaks_nor_double_frees_the_engine():
    async def scenario():
        stt = SlowSTT()
        queue = SttQueue(stt)
        running = asyncio.create_task(queue.transcribe(audio(2)))
        waiting = asyncio.create_task(queue.transcribe(audio(4)))
        await asyncio.sleep(0.05)
        waiting.cancel()  # hung up while waiting
        running.cancel()  # hung up while transcribed: the engine finishes the work all the same
        await asyncio.sleep(0.05)
        busy_while_engine_works = queue._running
        stt.hold.set()
        await asyncio.sleep(0.2)
        later = await queue.transcribe(audio(6))
        return busy_while_engine_works, later.text, queue._running, stt.order

    busy, text, running, order = asyncio.run(scenario())
    assert busy == 1 and text == "6" and running == 0 and order == [2, 6]


def test_asking_for_a_gpu_where_there_is_none_is_a_clear_error_before_any_model_loads(config):
    import ctranslate2

    from parley.voice.models import ModelNotFoundError
    from parley.voice.stt import FasterWhisperSTT

    if ctranslate2.get_cuda_device_count():
        pytest.skip("this machine has a CUDA device")
    stt = dataclasses.replace(config.stt, device="cuda", compute_type="float16")
    with pytest.raises(ModelNotFoundError, match='device = "cuda"'):
        FasterWhisperSTT(stt)


def test_the_device_is_a_choice_of_cpu_or_cuda(tmp_path):
    from parley.configs.files import ConfigError
    from parley.voice.app.settings import load_config

    (tmp_path / "gpu.toml").write_text('[stt]\ndevice = "tpu"\n')
    with pytest.raises(ConfigError, match="device"):
        load_config(tmp_path / "gpu.toml")


def test_the_capacity_curve_doubles_and_capacity_is_the_most_callers_within_a_second():
    from parley.voice.app.measure.load import capacity, levels

    assert levels(8) == [1, 2, 4, 8] and levels(6) == [1, 2, 4, 6] and levels(1) == [1]

    def run(clients, p95, answered=True):
        return {"clients": clients, "turns": 12 if answered else 11, "turns_expected": 12,
                "turn_latency_ms": {"p50": 1.0, "p95": p95}}

    assert capacity([run(1, 500), run(2, 800), run(4, 990), run(8, 2100)]) == 4
    assert capacity([run(1, 500), run(2, 800, answered=False)]) == 1  # a turn not answered is beyond capacity
    assert capacity([run(1, 1500)]) == 0
