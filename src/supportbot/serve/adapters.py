"""Several LoRA adapters on one base model (PEFT multi-adapter), chosen per batch; load/replace/unload live."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from supportbot.core.artifacts import adapter_base_model
from supportbot.core.errors import ModelNotFoundError
from supportbot.core.models import LoadedModel
from supportbot.core.spec import parse_spec

log = logging.getLogger("supportbot.serve")


def resolve_adapter(name: str, source: str, base: str) -> Path:
    """The adapter dir of a source (adapter, run or checkpoint dir, registry spec), warning on a base mismatch."""
    try:
        adapter_dir = parse_spec(source).adapter
    except (OSError, ValueError):  # e.g. a NUL byte in the path
        adapter_dir = None
    if adapter_dir is None:
        raise ModelNotFoundError(f"adapter {name!r}: not an adapter or run directory: {source}")
    try:
        trained_on = adapter_base_model(adapter_dir)
    except (OSError, KeyError, ValueError):
        trained_on = None
    if trained_on and trained_on != base:
        log.warning("adapter %s was trained on %s but the base is %s", name, trained_on, base)
    return Path(adapter_dir)


def adapter_set(lm: LoadedModel) -> AdapterSet | GgufAdapterSet:
    """The adapter set that fits the runtime of `lm`."""
    return GgufAdapterSet(lm) if lm.backend == "llamacpp" else AdapterSet(lm)


class AdapterSet:
    """Public adapter names mapped onto PEFT adapters of one base model; `None` means the bare base."""

    def __init__(self, lm: LoadedModel) -> None:
        self.lm = lm
        self.peft = None  # PeftModel once the first adapter is loaded
        self._internal: dict[str, str] = {}  # public name -> PEFT adapter name
        self.sources: dict[str, str] = {}  # public name -> path as given (re-resolved on reload)
        self.dirs: dict[str, str] = {}  # public name -> resolved adapter dir
        self._counter = 0

    def names(self) -> list[str]:
        """Loaded adapter names."""
        return list(self._internal)

    def load(self, name: str, source: str) -> str:
        """Load (or replace) adapter `name` from an adapter dir or run dir; returns the resolved dir."""
        from peft import PeftModel

        adapter_dir = resolve_adapter(name, source, self.lm.name)
        internal = f"adapter{self._counter}"
        self._counter += 1
        try:
            if self.peft is None:
                self.peft = PeftModel.from_pretrained(
                    self.lm.model, adapter_dir, adapter_name=internal
                ).eval()
                self.lm.model = self.peft
            else:
                self.peft.load_adapter(str(adapter_dir), adapter_name=internal)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise ModelNotFoundError(f"adapter {name!r} from {adapter_dir}: cannot load ({exc})") from exc
        old = self._internal.get(name)
        self._internal[name] = internal
        self.sources[name] = source
        self.dirs[name] = str(Path(adapter_dir).resolve())
        if old is not None:
            self.peft.delete_adapter(old)
        log.info("adapter %s loaded from %s", name, adapter_dir)
        return self.dirs[name]

    def remove(self, name: str) -> None:
        """Unload adapter `name`."""
        internal = self._internal.pop(name)
        self.sources.pop(name, None)
        self.dirs.pop(name, None)
        if not self._internal:  # PEFT cannot delete its last adapter: strip LoRA layers instead
            self.lm.model = self.peft.unload()
            self.peft = None
        else:
            self.peft.delete_adapter(internal)
        log.info("adapter %s unloaded", name)

    @contextmanager
    def use(self, name: str | None) -> Iterator[None]:
        """Run the body with adapter `name` active (None: adapters disabled)."""
        if self.peft is None:
            yield
        elif name is None:
            with self.peft.disable_adapter():
                yield
        else:
            self.peft.set_adapter(self._internal[name])
            yield


class GgufAdapterSet:
    """The same interface over the llama.cpp runtime: each adapter converted to a GGUF LoRA (cached by sha256)
    and loaded onto the one GGUF model; `use` switches the context's adapter between batches."""

    def __init__(self, lm: LoadedModel) -> None:
        self.lm = lm
        self.runtime = lm.model
        self.sources: dict[str, str] = {}
        self.dirs: dict[str, str] = {}

    def names(self) -> list[str]:
        """Loaded adapter names."""
        return list(self.dirs)

    def load(self, name: str, source: str) -> str:
        """Convert (once) and load adapter `name`; returns the resolved adapter dir."""
        from supportbot.core.gguf import lora_gguf

        adapter_dir = resolve_adapter(name, source, self.lm.name)
        self.runtime.load_adapter(name, lora_gguf(adapter_dir, self.lm.name))
        self.sources[name] = source
        self.dirs[name] = str(adapter_dir.resolve())
        log.info("adapter %s loaded from %s (GGUF LoRA)", name, adapter_dir)
        return self.dirs[name]

    def remove(self, name: str) -> None:
        """Unload adapter `name`."""
        self.runtime.remove_adapter(name)
        self.sources.pop(name, None)
        self.dirs.pop(name, None)
        log.info("adapter %s unloaded", name)

    @contextmanager
    def use(self, name: str | None) -> Iterator[None]:
        """Run the body with adapter `name` active (None: the bare base)."""
        with self.runtime.use_adapter(name):
            yield
