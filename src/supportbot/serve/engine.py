"""Generation engine: one worker thread owns the model; a bounded queue feeds it dynamic micro-batches.

The event loop never runs the model: requests become `Job`s, the worker groups compatible ones
(same adapter and sampling settings) for up to `batching.max_wait_ms` or `batching.max_batch` jobs,
and results come back through futures (or a per-stream event queue).

Load is shed early: a request whose estimated queue wait passes `max_queue_wait_s` (or that finds the
queue full) gets 429 + Retry-After at once, and one still queued at `max_queue_wait_s` is withdrawn with
429. A scheduled job gets `request_timeout_s` of generation; at that deadline its partial text comes back
with finish_reason "length". A client that disconnects halts its job, queued or running.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import InvalidStateError
from dataclasses import dataclass
from typing import Any

from supportbot.core.config import GenerationConfig, ModelConfig
from supportbot.core.generation import Generation
from supportbot.core.models import LoadedModel
from supportbot.core.prompt import Messages
from supportbot.core.runtime import load_runtime
from supportbot.core.spec import parse_spec
from supportbot.serve.config import ServeConfig
from supportbot.serve.decode import Job, run_batch, run_stream
from supportbot.serve.errors import ClientGone, ModelNotFound, NotReady, QueueFull

log = logging.getLogger("supportbot.serve")
TUNED_NAME = "tuned"
DisconnectCheck = Callable[[], Awaitable[bool]]
DISCONNECT_POLL_S = 0.1


@dataclass
class Params:
    """Validated generation parameters of one request."""

    messages: Messages
    max_new_tokens: int
    temperature: float
    top_p: float
    seed: int
    stop: list[str]
    adapter: str | None
    guide: Callable[[], Any] | None = None  # makes a fresh per-request grammar (guided decoding)


def split_model_spec(spec: str) -> tuple[str, dict[str, str]]:
    """An adapter spec (run dir, adapter or checkpoint dir, `registry:NAME@V`) becomes (its base model,
    {"tuned": spec}), so `base` stays the plain base; anything else is a base model."""
    parsed = parse_spec(spec)
    if parsed.adapter is None:
        return spec, {}
    return parsed.base or spec, {TUNED_NAME: spec}


def resolve_models(model: ModelConfig, cfg: ServeConfig) -> tuple[str, dict[str, str], str | None]:
    """(base spec, adapters by name, default model): a run dir or model.adapter is served as "tuned", the default."""
    base, adapters = split_model_spec(model.name)
    if model.adapter:
        adapters[TUNED_NAME] = model.adapter
    default = TUNED_NAME if adapters else None
    adapters.update(cfg.adapters)
    return base, adapters, default


class StreamHandle:
    """Async iterator over ("text", str) events of one started stream; `result` is set at the end."""

    def __init__(self, job: Job, events: asyncio.Queue) -> None:
        self.job = job
        self.events = events
        self.result: Generation | None = None

    async def __aiter__(self) -> AsyncIterator[str]:
        """Yield text pieces until the worker reports done (or raise its error)."""
        try:
            while True:
                kind, payload = await self.events.get()
                if kind == "text":
                    yield payload
                elif kind == "done":
                    self.result = payload
                    return
                elif kind == "error":
                    raise payload
        finally:
            self.job.halt = True  # client gone or finished: stop generating


class HFEngine:
    """Base model + adapters, micro-batched in one worker thread: transformers + PEFT (serve.backend hf), or the
    llama.cpp runtime with GGUF LoRAs (llamacpp); the queue, limits and deadlines are the same for both."""

    def __init__(
        self,
        lm: LoadedModel,
        gen_cfg: GenerationConfig,
        cfg: ServeConfig,
        adapters: dict[str, str],
        default_model: str | None = None,
    ) -> None:
        from supportbot.serve.adapters import adapter_set

        self.lm = lm
        self.backend = lm.backend
        self.base_name = lm.name
        self.gen_cfg = gen_cfg
        self.cfg = cfg
        self.adapters = adapter_set(lm)
        for name, source in adapters.items():
            self.adapters.load(name, source)
        self.default_model = cfg.default_model or default_model or self.base_name
        self.resolve(self.default_model)  # a configured default must exist
        self.created = int(time.time())
        self.context_length = lm.context_length
        self._count_tok = copy.deepcopy(lm.tokenizer)  # event-loop-only copy; the worker owns lm.tokenizer
        self._pending: collections.deque[Job] = collections.deque()
        self._cv = threading.Condition()
        self._closing = False
        self._batch_seconds = 1.0
        self._busy = 0  # 1 while the worker runs a batch (counts in the wait estimate)
        self.on_batch: Callable[[int, float], None] | None = None
        self._worker = threading.Thread(target=self._run, name="supportbot-engine", daemon=True)
        self._worker.start()

    @classmethod
    def load(cls, model: ModelConfig, gen_cfg: GenerationConfig, cfg: ServeConfig) -> HFEngine:
        """Load the base model named by `model.name` (or a run dir: base + "tuned") and the adapters."""
        base, adapters, default = resolve_models(model, cfg)
        backend = cfg.runtime(model.backend)
        lm = load_runtime(base, dtype=model.dtype, device=model.device, backend=backend, gguf=model.gguf)
        return cls(lm, gen_cfg, cfg, adapters, default)

    # -- model names ---------------------------------------------------------------------------------
    def models(self) -> list[dict[str, Any]]:
        """Served models: the base first, then each adapter."""
        rows = [{"id": self.base_name, "root": self.base_name, "adapter": None}]
        for name in self.adapters.names():
            rows.append({"id": name, "root": self.base_name, "adapter": self.adapters.dirs[name]})
        return rows

    def resolve(self, name: str | None) -> tuple[str, str | None]:
        """(public model name, adapter name or None) for a request's `model` field."""
        name = name or self.default_model
        if name in (self.base_name, "base"):
            return self.base_name, None
        if name in self.adapters.names():
            return name, name
        known = ", ".join(m["id"] for m in self.models())
        raise ModelNotFound(f"model {name!r} is not served; available: {known}", param="model")

    def adapter_dir(self, adapter: str | None) -> str | None:
        """Where an adapter was loaded from."""
        return self.adapters.dirs.get(adapter) if adapter else None

    def count_prompt_tokens(self, messages: Messages) -> int:
        """Prompt length in tokens after the chat template (call from the event loop only)."""
        ids = self._count_tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
        return len(ids["input_ids"] if isinstance(ids, dict) else ids)

    @property
    def ready(self) -> bool:
        """True while the model is loaded and the worker runs."""
        return self._worker.is_alive() and not self._closing

    def queue_depth(self) -> int:
        """Jobs waiting (not yet running)."""
        return len(self._pending)

    # -- submitting ----------------------------------------------------------------------------------
    def _job(self, p: Params, stream: bool = False) -> Job:
        return Job(
            messages=p.messages,
            max_new_tokens=p.max_new_tokens,
            temperature=p.temperature,
            top_p=p.top_p,
            seed=p.seed,
            stop=p.stop,
            adapter=p.adapter,
            guide=p.guide,
            stream=stream,
        )

    def estimated_wait_s(self) -> float:
        """Expected queue wait of a request arriving now: the batches ahead of it (plus the running one)
        times the recent batch time."""
        per_batch = self.cfg.batching.max_batch if self.cfg.batching.enabled else 1
        return (len(self._pending) // per_batch + self._busy) * self._batch_seconds

    def _overloaded(self, why: str, wait_s: float) -> QueueFull:
        retry = math.ceil(max(wait_s - self.cfg.max_queue_wait_s, 0.0) + self._batch_seconds)
        return QueueFull(f"{why}; retry later", headers={"Retry-After": str(min(max(retry, 1), 120))})

    def _enqueue(self, job: Job, bounded: bool = True) -> None:
        if not self.ready:
            raise NotReady("the model is not loaded")
        with self._cv:
            if bounded:
                wait = self.estimated_wait_s()
                if len(self._pending) >= self.cfg.max_queue:
                    raise self._overloaded(
                        f"the generation queue is full ({self.cfg.max_queue} waiting)", wait
                    )
                if wait > self.cfg.max_queue_wait_s:
                    raise self._overloaded(
                        f"the server is overloaded: estimated queue wait {wait:.1f}s exceeds "
                        f"serve.max_queue_wait_s={self.cfg.max_queue_wait_s:g}",
                        wait,
                    )
            self._pending.append(job)
            self._cv.notify()

    def _withdraw(self, job: Job, halt_running: bool = True) -> bool:
        """Take a job that has not started off the queue (True); a running one is asked to halt when
        `halt_running` (False)."""
        with self._cv:
            if not job.started and job in self._pending:
                self._pending.remove(job)
                job.halt = True
                return True
            job.halt = job.halt or halt_running
            return False

    async def _await_job(
        self, job: Job, started: Awaitable[Any], disconnected: DisconnectCheck | None
    ) -> Any:
        """Wait for `started` (the result, or the stream's first event) while watching the queue wait
        and the client: 429 when still queued at max_queue_wait_s, ClientGone when the client leaves."""
        loop = asyncio.get_running_loop()
        waiter = asyncio.ensure_future(started)
        watcher = asyncio.ensure_future(_watch(disconnected)) if disconnected is not None else None
        queue_end = loop.time() + self.cfg.max_queue_wait_s
        try:
            while True:
                pending = {waiter} if watcher is None else {waiter, watcher}
                timeout = None if job.started else max(queue_end - loop.time(), 0.0)
                done, _ = await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                if waiter in done:
                    return waiter.result()
                if watcher is not None and watcher in done:
                    self._withdraw(job)
                    raise ClientGone("the client disconnected; generation was halted")
                if not job.started and self._withdraw(job, halt_running=False):
                    raise self._overloaded(
                        f"the request waited {self.cfg.max_queue_wait_s:g}s in the queue "
                        "(serve.max_queue_wait_s) without being scheduled",
                        self.estimated_wait_s(),
                    )
        except asyncio.CancelledError:
            self._withdraw(job)
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
            if not waiter.done():
                waiter.cancel()

    async def generate(self, p: Params, disconnected: DisconnectCheck | None = None) -> Generation:
        """Generate one answer off the event loop: 429 when overloaded, partial text at the deadline,
        ClientGone (and the job halted) when `disconnected()` turns true."""
        job = self._job(p)
        self._enqueue(job)
        future = asyncio.wrap_future(job.future)
        future.add_done_callback(_retrieve)
        return await self._await_job(job, asyncio.shield(future), disconnected)

    async def stream(self, p: Params, disconnected: DisconnectCheck | None = None) -> StreamHandle:
        """Queue a streamed answer and wait until it starts (a 429 can still be answered then)."""
        job = self._job(p, stream=True)
        loop = asyncio.get_running_loop()
        events: asyncio.Queue = asyncio.Queue()
        job.sink = lambda kind, payload: loop.call_soon_threadsafe(events.put_nowait, (kind, payload))
        self._enqueue(job)
        kind, payload = await self._await_job(job, events.get(), disconnected)
        if kind == "error":
            raise payload
        return StreamHandle(job, events)

    async def run_admin(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` in the worker thread between batches (adapter reloads never race a forward)."""
        job = Job(messages=[], max_new_tokens=1, temperature=0.0, top_p=1.0, seed=0, call=fn)
        self._enqueue(job, bounded=False)
        return await asyncio.wrap_future(job.future)

    async def reload(self, adapters: dict[str, str] | None, remove: list[str]) -> list[str]:
        """Load/replace the given adapters (or re-read all from their sources) and unload `remove`."""

        def work() -> list[str]:
            for name in remove:
                if name not in self.adapters.names():
                    raise ModelNotFound(f"remove: adapter {name!r} is not loaded", param="remove")
            targets = adapters if adapters is not None else dict(self.adapters.sources)
            for name, source in targets.items():
                self.adapters.load(name, source)
            for name in remove:
                self.adapters.remove(name)
            return self.adapters.names()

        return await self.run_admin(work)

    def close(self) -> None:
        """Stop the worker after the jobs already queued."""
        with self._cv:
            self._closing = True
            for job in self._pending:
                job.halt = True
            self._cv.notify_all()

    # -- worker thread -------------------------------------------------------------------------------
    def _take_compatible(self, batch: list[Job]) -> None:
        key, keep = batch[0].batch_key(), collections.deque()
        for job in self._pending:
            fits = job.call is None and not job.stream and job.batch_key() == key
            if fits and len(batch) < self.cfg.batching.max_batch:
                job.started = True
                batch.append(job)
            else:
                keep.append(job)
        self._pending = keep

    def batch_wait_s(self) -> float:
        """How long the first request of a batch waits for company: max_wait_ms, or a small share of the
        recent batch time when that is longer (capped), so slow batches fill up."""
        b = self.cfg.batching
        adaptive = min(b.wait_fraction * self._batch_seconds, b.max_adaptive_wait_ms / 1000)
        return max(b.max_wait_ms / 1000, adaptive)

    def _next_batch(self) -> list[Job] | None:
        with self._cv:
            while True:
                while not self._pending and not self._closing:
                    self._cv.wait()
                if not self._pending:
                    return None
                first = self._pending.popleft()
                if not first.halt:
                    break
                _settle(first, error=NotReady("the server is shutting down"))
            first.started = True
            if first.call is not None or first.stream or not self.cfg.batching.enabled:
                return self._schedule([first])
            batch = [first]
            until = time.monotonic() + self.batch_wait_s()
            while True:
                self._take_compatible(batch)
                remaining = until - time.monotonic()
                if len(batch) >= self.cfg.batching.max_batch or remaining <= 0 or self._closing:
                    return self._schedule(batch)
                self._cv.wait(remaining)

    def _schedule(self, batch: list[Job]) -> list[Job]:
        """Start the generation deadline of each job now, when it is scheduled (queue wait not counted)."""
        deadline = time.monotonic() + self.cfg.request_timeout_s
        for job in batch:  # (already marked started when taken off the queue, under the lock)
            job.deadline = deadline
        self._busy = 1
        return batch

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            first = batch[0]
            try:
                if first.call is not None:
                    _settle(first, result=first.call())
                    continue
                started = time.perf_counter()
                with self.adapters.use(first.adapter):
                    if first.stream:
                        assert first.sink is not None
                        first.sink("start", None)
                        first.sink("done", run_stream(self.lm, first, self.gen_cfg))
                    else:
                        for job, gen in zip(batch, run_batch(self.lm, batch, self.gen_cfg), strict=True):
                            _settle(job, result=gen)
                elapsed = time.perf_counter() - started
                self._batch_seconds = 0.8 * self._batch_seconds + 0.2 * elapsed
                if self.on_batch is not None:
                    self.on_batch(len(batch), elapsed)
            except Exception as exc:  # reported to each waiting request; the worker keeps serving
                log.exception("generation failed")
                for job in batch:
                    if job.sink is not None:
                        job.sink("error", exc)
                    _settle(job, error=exc)
            finally:
                self._busy = 0


async def _watch(disconnected: DisconnectCheck) -> None:
    """Return once the client has disconnected (polled: Starlette has no disconnect callback)."""
    while not await disconnected():
        await asyncio.sleep(DISCONNECT_POLL_S)


def _retrieve(future: asyncio.Future) -> None:
    """Mark an abandoned job's error as seen, so asyncio does not log "exception was never retrieved"."""
    if not future.cancelled():
        future.exception()


def _settle(job: Job, result: Any = None, error: BaseException | None = None) -> None:
    """Resolve a job's future unless the waiter already gave up on it."""
    try:
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)
    except InvalidStateError:
        pass
