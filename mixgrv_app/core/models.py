"""The one place that knows ACE-Step 1.5 model folders: the catalogue, and what a models root holds.

A *models root* is one folder in the official layout (the app's ``paths.models_dir()``, or an
ACE-Step ``checkpoints/`` folder the user pointed the settings at)::

    <root>/acestep-v15-turbo/   config.json, model.safetensors, silence_latent.pt   (DiT)
    <root>/vae/                 config.json, diffusion_pytorch_model.safetensors
    <root>/Qwen3-Embedding-0.6B/ config.json, model.safetensors, tokenizer files    (text encoder)
    <root>/acestep-5Hz-lm-1.7B/ config.json, model.safetensors, tokenizer files    (5 Hz LM)
    <root>/.mixgrv/<folder>.json  the download manifest of each folder we fetched (see below)

A component folder may also be a symlink into the Hugging Face cache (reuse in place, no copy).

For the UI (ask here, never look at folders yourself)
----------------------------------------------------
* ``CATALOGUE`` / ``component(name)`` / ``components(kind=None)``: every known :class:`Component`
  (folder name, kind, Hub repo, approximate download size, memory it needs, essential or not,
  ``min_memory_gb`` for the XL DiTs).  ``ESSENTIALS``: turbo DiT + VAE + text encoder.
* ``scan(root) -> dict[name, ComponentState]``: status ``installed`` / ``partial`` / ``missing``
  for every catalogue component (plus unknown ``acestep-v15-*`` / ``acestep-5Hz-lm-*`` folders
  found there), with bytes present, verified or not, the commit and where it links to.
* ``summary(root) -> Summary``: ``essentials_ready``, missing essentials and their approximate
  size (for "필수 모델 받기 (약 N GB)"), installed and partial names.
* ``component_state(root, name)``: one folder's :class:`ComponentState` (cheap: stats only).
* ``generation_ready(root)`` (any installed DiT + VAE + text encoder: a take can be made),
  ``essentials_ready(root)``, ``installed_dits(root)`` (for the variant combo), ``installed_lms(root)``,
  ``preferred_dit(root)`` (turbo when there), ``suggest_lm(memory_bytes=None)`` ("0.6B" / "1.7B"
  / "4B" / None from the Mac's memory), ``lm_component(size)``.
* ``display_name(name)``: the short label of a folder ("turbo", "lm-1.7B"); use it instead of
  stripping prefixes in the UI.
* ``find_checkpoints_folder(path)``: the models root inside a folder the user picked (the folder
  itself or its ``checkpoints/``), or None — then set it as the models root (settings).
* ``hf_cache_components(cache_dir=None)``: components found complete in the Hugging Face cache
  (``HF_HUB_CACHE`` / ``HF_HOME/hub`` / ``~/.cache/huggingface/hub``); the download job links
  them into the root instead of fetching (``core.model_download``).
* ``default_root()``: the app's own models folder (when the settings name none).

Download, verify and remove are jobs in :mod:`mixgrv_app.core.model_download`. Their failures
(and ``component(unknown)``) raise :class:`ModelError` with ``models.*`` codes (ui/messages.py).
``core.checkpoints.find_components`` / ``describe_root`` (what the loaders use) are defined here
too, so a folder that is still downloading is never loaded.

The manifest (``<root>/.mixgrv/<folder>.json``) is written when a download starts
(``complete: false``) and rewritten when every file verified (``complete: true``, repo, pinned
commit, each file's size and sha256 / git blob id). A folder whose manifest says incomplete is
``partial`` and is never offered as a model, so nothing half-written is ever loaded. A folder
without a manifest (the user's own ACE-Step download) is ``installed`` when its required files
are there (``verified`` False).
"""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from mixgrv_app.core.errors import CheckpointError, MixgrvError

MAIN_REPO = "ACE-Step/Ace-Step1.5"
DIT_PREFIX = "acestep-v15-"
LM_PREFIX = "acestep-5Hz-lm-"
TURBO = "acestep-v15-turbo"
VAE_FOLDER = "vae"
TEXT_ENCODER_FOLDER = "Qwen3-Embedding-0.6B"
MANIFEST_DIR = ".mixgrv"

INSTALLED, PARTIAL, MISSING = "installed", "partial", "missing"

# What each kind of folder must hold to be usable, and which repo files we fetch for it.
_DIT_FILES = ("config.json", "model.safetensors", "model.safetensors.index.json", "model-*.safetensors",
              "silence_latent.pt")
_VAE_FILES = ("config.json", "diffusion_pytorch_model.safetensors")
_TEXT_FILES = ("config.json", "model.safetensors", "model.safetensors.index.json", "model-*.safetensors",
               "tokenizer.json", "tokenizer_config.json", "added_tokens.json", "special_tokens_map.json",
               "vocab.json", "merges.txt", "chat_template.jinja")
_REQUIRED = {"dit": ("config.json", "silence_latent.pt"), "vae": ("config.json",),
             "text_encoder": ("config.json", "tokenizer.json"), "lm": ("config.json", "tokenizer.json")}

GB = 1_000_000_000
ESSENTIALS_MEMORY_GB = 8.0          # DiT + VAE + text encoder while generating
USABLE_MEMORY_FRACTION = 0.75       # of the Mac's unified memory that models may take


class ModelError(MixgrvError):
    """A model download, verification or catalogue request that cannot be done."""


@dataclass(frozen=True)
class Component:
    name: str                  # folder under the models root (== the name used everywhere)
    kind: str                  # "dit" | "vae" | "text_encoder" | "lm"
    repo: str                  # Hub repository
    subfolder: str             # folder inside the repo ("" = the repo root)
    allow: tuple[str, ...]     # file patterns (relative to the folder) that the app uses
    size_bytes: int            # approximate download size (facts sheet); exact sizes come from the Hub
    memory_gb: float           # memory it needs while running
    essential: bool = False
    min_memory_gb: float = 0.0  # the Mac needs at least this much memory (XL DiTs)

    @property
    def required(self) -> tuple[str, ...]:
        return _REQUIRED[self.kind]

    def repo_path(self, filename: str) -> str:
        """The path in the repo of ``filename`` (relative to this folder)."""
        return f"{self.subfolder}/{filename}" if self.subfolder else filename

    def folder_path(self, repo_path: str) -> str | None:
        """``repo_path`` relative to this folder, or None when it is not one of this folder's files."""
        if self.subfolder:
            if not repo_path.startswith(self.subfolder + "/"):
                return None
            repo_path = repo_path[len(self.subfolder) + 1:]
        if "/" in repo_path or not any(fnmatch.fnmatchcase(repo_path, p) for p in self.allow):
            return None
        return repo_path

    def allow_patterns(self) -> list[str]:
        """Patterns in repo paths (for ``snapshot_download(allow_patterns=...)``)."""
        return [self.repo_path(p) for p in self.allow]


_DIT_2B = 4_787_825_604 + 3_841_215 + 1_968
_LM_FILES = 24_321_939 + 14_072_925 + 2_217_787 + 1_824_199 + 4_168 + 1_385


def _dit(name: str, repo: str, subfolder: str = "", essential: bool = False) -> Component:
    return Component(name, "dit", repo, subfolder, _DIT_FILES, _DIT_2B, 8.0, essential)


def _xl(name: str) -> Component:
    return Component(name, "dit", f"ACE-Step/{name}", "", _DIT_FILES, 19_960_000_000 + 3_841_215, 24.0,
                     min_memory_gb=32.0)


CATALOGUE: tuple[Component, ...] = (
    _dit(TURBO, MAIN_REPO, TURBO, essential=True),
    Component(VAE_FOLDER, "vae", MAIN_REPO, VAE_FOLDER, _VAE_FILES, 337_431_388 + 425, 1.0, essential=True),
    Component(TEXT_ENCODER_FOLDER, "text_encoder", MAIN_REPO, TEXT_ENCODER_FOLDER, _TEXT_FILES,
              1_191_586_416 + 11_423_705 + 1_671_853 + 2_776_833 + 12_199, 2.0, essential=True),
    Component("acestep-5Hz-lm-0.6B", "lm", "ACE-Step/acestep-5Hz-lm-0.6B", "", _TEXT_FILES,
              1_325_804_024 + _LM_FILES, 3.0),
    Component("acestep-5Hz-lm-1.7B", "lm", MAIN_REPO, "acestep-5Hz-lm-1.7B", _TEXT_FILES,
              3_708_521_528 + _LM_FILES, 8.0),
    Component("acestep-5Hz-lm-4B", "lm", "ACE-Step/acestep-5Hz-lm-4B", "", _TEXT_FILES,
              8_400_000_000 + _LM_FILES, 12.0),
    _dit("acestep-v15-base", "ACE-Step/acestep-v15-base"),
    _dit("acestep-v15-sft", "ACE-Step/acestep-v15-sft"),
    _dit("acestep-v15-turbo-shift1", "ACE-Step/acestep-v15-turbo-shift1"),
    _dit("acestep-v15-turbo-shift3", "ACE-Step/acestep-v15-turbo-shift3"),
    _dit("acestep-v15-turbo-continuous", "ACE-Step/acestep-v15-turbo-continuous"),
    _xl("acestep-v15-xl-turbo"),
    _xl("acestep-v15-xl-base"),
    _xl("acestep-v15-xl-sft"),
)
ESSENTIALS: tuple[str, ...] = tuple(c.name for c in CATALOGUE if c.essential)
LM_SIZES = ("0.6B", "1.7B", "4B")


def component(name: str) -> Component:
    for comp in CATALOGUE:
        if comp.name == name:
            return comp
    raise ModelError("models.unknown_component",
                     f"'{name}' is not a known model. Known: {', '.join(c.name for c in CATALOGUE)}.",
                     name=name, known=", ".join(c.name for c in CATALOGUE))


def components(kind: str | None = None) -> list[Component]:
    return [c for c in CATALOGUE if kind is None or c.kind == kind]


def lm_component(size: str) -> Component:
    """The 5 Hz LM of ``size`` ("0.6B", "1.7B", "4B")."""
    return component(f"{LM_PREFIX}{size}")


def display_name(folder_name: str) -> str:
    """A short label for lists: "turbo", "base", "lm-1.7B", "vae", "Qwen3-Embedding-0.6B"."""
    if folder_name.startswith(DIT_PREFIX):
        return folder_name[len(DIT_PREFIX):]
    if folder_name.startswith(LM_PREFIX):
        return "lm-" + folder_name[len(LM_PREFIX):]
    return folder_name


def kind_of(folder_name: str) -> str | None:
    """The kind of a component folder from its name, or None for anything else."""
    if folder_name == VAE_FOLDER:
        return "vae"
    if folder_name == TEXT_ENCODER_FOLDER:
        return "text_encoder"
    if folder_name.startswith(DIT_PREFIX):
        return "dit"
    if folder_name.startswith(LM_PREFIX):
        return "lm"
    return None


def total_memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def suggest_lm(memory_bytes: int | None = None) -> str | None:
    """The largest LM size whose budget fits next to the essentials in this Mac's memory, or None."""
    memory = total_memory_bytes() if memory_bytes is None else memory_bytes
    usable_gb = memory / 2**30 * USABLE_MEMORY_FRACTION
    best = None
    for size in LM_SIZES:
        if ESSENTIALS_MEMORY_GB + lm_component(size).memory_gb <= usable_gb:
            best = size
    return best


def preferred_lm(root: str | os.PathLike[str] | None, memory_bytes: int | None = None) -> str | None:
    """The LM size ("0.6B", ...) the app uses by default: the suggested size for this Mac when it is
    installed, else the largest installed one below it, else the smallest installed; None without an LM."""
    sizes = [n.removeprefix(LM_PREFIX) for n in installed_lms(root)]
    sizes = [s for s in LM_SIZES if s in sizes]
    if not sizes:
        return None
    cap = suggest_lm(memory_bytes)
    fitting = [s for s in sizes if cap is not None and LM_SIZES.index(s) <= LM_SIZES.index(cap)]
    return fitting[-1] if fitting else sizes[0]


def default_root() -> Path:
    """The app's own models folder (used when the settings name no other)."""
    from mixgrv_app import paths

    return paths.models_dir()


# ------------------------------------------------------------------------------ manifest
def manifest_path(root: str | os.PathLike[str], name: str) -> Path:
    return Path(root) / MANIFEST_DIR / f"{name}.json"


def read_manifest(root: str | os.PathLike[str], name: str) -> dict | None:
    try:
        data = json.loads(manifest_path(root, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_manifest(root: str | os.PathLike[str], name: str, manifest: dict) -> None:
    from mixgrv_app.core import fileio

    path = manifest_path(root, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fileio.write_json(path, manifest)


# ------------------------------------------------------------------------------ scanning
@dataclass
class ComponentState:
    name: str
    kind: str
    status: str                    # INSTALLED | PARTIAL | MISSING
    path: Path                     # <root>/<name>
    present_bytes: int = 0         # bytes of its files on disk (complete files only)
    verified: bool = False         # every file matched the Hub's sha256 / blob id when downloaded or verified
    commit: str | None = None      # Hub commit the files come from (manifest)
    linked_to: Path | None = None  # where the folder points when it is a symlink (HF cache)
    component: Component | None = None  # None for an unknown folder (e.g. a newer variant)

    @property
    def size_bytes(self) -> int:
        """The (approximate) download size of the folder; ``present_bytes`` is what is on disk."""
        return self.component.size_bytes if self.component else self.present_bytes


def hf_download_state_dir(root: str | os.PathLike[str], comp: Component) -> Path:
    """Where the Hub client keeps a folder's download records and partial files (``local_dir``
    download: ``<root>/.cache/huggingface/download/<folder>/`` for the main repo's folders,
    ``<root>/<folder>/.cache/huggingface/download/`` for a repo of its own)."""
    local_dir = Path(root) if comp.subfolder else Path(root) / comp.name
    return local_dir / ".cache" / "huggingface" / "download" / comp.subfolder


def partial_download_bytes(root: str | os.PathLike[str], comp: Component) -> int:
    """Bytes in the Hub client's partial files (``*.incomplete``) for a folder being downloaded."""
    try:
        return sum(p.stat().st_size for p in hf_download_state_dir(root, comp).glob("*.incomplete"))
    except OSError:
        return 0


def _has_weights(folder: Path) -> bool:
    return any(folder.glob("*.safetensors")) or any(folder.glob("*.safetensors.index.json"))


def _folder_bytes(folder: Path) -> int:
    try:
        return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    except OSError:
        return 0


def component_state(root: str | os.PathLike[str], name: str) -> ComponentState:
    root = Path(root)
    folder = root / name
    kind = kind_of(name) or "dit"
    try:
        comp: Component | None = component(name)
    except ModelError:
        comp = None
    state = ComponentState(name, kind, MISSING, folder, component=comp)
    if folder.is_symlink():
        state.linked_to = Path(os.path.realpath(folder))
    manifest = read_manifest(root, name)
    if manifest is not None:
        state.commit = manifest.get("commit")
        files = manifest.get("files", {})
        sizes_ok = bool(files) and all(
            (folder / rel).is_file() and (folder / rel).stat().st_size == info.get("size")
            for rel, info in files.items())
        state.present_bytes = sum(info.get("size", 0) for rel, info in files.items() if (folder / rel).is_file())
        if manifest.get("complete") and sizes_ok:
            state.status, state.verified = INSTALLED, bool(manifest.get("verified", True))
            return state
        if comp is not None:
            state.present_bytes += partial_download_bytes(root, comp)
        state.status = PARTIAL if state.present_bytes else MISSING  # a download that never got a byte
        return state
    if not folder.is_dir():
        return state
    state.present_bytes = _folder_bytes(folder)
    complete = all((folder / f).is_file() for f in _REQUIRED[kind]) and _has_weights(folder)
    state.status = INSTALLED if complete else PARTIAL
    return state


def scan(root: str | os.PathLike[str]) -> dict[str, ComponentState]:
    """Every catalogue component (and unknown component folders found) with its status."""
    root = Path(root)
    names = [c.name for c in CATALOGUE]
    try:
        extra = sorted(p.name for p in root.iterdir() if p.is_dir() and kind_of(p.name) and p.name not in names)
    except OSError:
        extra = []
    return {name: component_state(root, name) for name in [*names, *extra]}


def essentials_ready(root: str | os.PathLike[str]) -> bool:
    return all(component_state(root, name).status == INSTALLED for name in ESSENTIALS)


def installed_dits(root: str | os.PathLike[str] | None) -> list[str]:
    """DiT variant folders ready to generate with, sorted by name."""
    if not root:
        return []
    return sorted(name for name, s in scan(root).items() if s.kind == "dit" and s.status == INSTALLED)


def installed_lms(root: str | os.PathLike[str] | None) -> list[str]:
    if not root:
        return []
    return sorted(name for name, s in scan(root).items() if s.kind == "lm" and s.status == INSTALLED)


def preferred_dit(root: str | os.PathLike[str]) -> str | None:
    """The DiT to use when nothing else is chosen: turbo when installed, else the first one."""
    dits = installed_dits(root)
    if not dits:
        return None
    return TURBO if TURBO in dits else dits[0]


# NOTE(ui): added by the app side (Generation tab readiness); any installed DiT will do.
def generation_ready(root: str | os.PathLike[str]) -> bool:
    """A take can be made from ``root``: some DiT, the VAE and the text encoder are installed."""
    states = scan(root)
    return (any(s.kind == "dit" and s.status == INSTALLED for s in states.values())
            and all(states[n].status == INSTALLED for n in (VAE_FOLDER, TEXT_ENCODER_FOLDER)))


@dataclass
class Summary:
    root: Path
    essentials_ready: bool
    missing_essentials: list[str]           # essentials not installed (missing or partial)
    missing_essentials_bytes: int           # approximate bytes still to fetch for them
    installed: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One English line for logs and the CLI (the UI builds its own from the fields)."""
        if self.essentials_ready:
            return f"models ready in {self.root}: {', '.join(self.installed)}"
        return (f"missing in {self.root}: {', '.join(self.missing_essentials)} "
                f"(about {self.missing_essentials_bytes / GB:.1f} GB)")


def summary(root: str | os.PathLike[str]) -> Summary:
    states = scan(root)
    missing = [n for n in ESSENTIALS if states[n].status != INSTALLED]
    missing_bytes = sum(max(0, states[n].size_bytes - states[n].present_bytes) for n in missing)
    return Summary(Path(root), not missing, missing, missing_bytes,
                   installed=[n for n, s in states.items() if s.status == INSTALLED],
                   partial=[n for n, s in states.items() if s.status == PARTIAL])


# ------------------------------------------------------------------------------ reuse
def find_checkpoints_folder(path: str | os.PathLike[str]) -> Path | None:
    """The models root inside a folder the user picked: the folder itself when it holds component
    folders, else its ``checkpoints/`` (an ACE-Step project folder). None when neither does."""
    path = Path(path).expanduser()
    for candidate in (path, path / "checkpoints"):
        try:
            if candidate.is_dir() and any(kind_of(p.name) and p.is_dir() for p in candidate.iterdir()):
                return candidate
        except OSError:
            continue
    return None


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache this process would use (HF_HUB_CACHE, HF_HOME/hub, ~/.cache)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(home).expanduser() / "hub"


def hf_cache_components(cache_dir: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """name → folder inside an HF cache snapshot that holds that component completely (newest first)."""
    cache = Path(cache_dir) if cache_dir else hf_cache_dir()
    found: dict[str, Path] = {}
    for comp in CATALOGUE:
        snapshots = cache / f"models--{comp.repo.replace('/', '--')}" / "snapshots"
        try:
            candidates = sorted(snapshots.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            continue
        for snap in candidates:
            folder = snap / comp.subfolder if comp.subfolder else snap
            if all((folder / f).is_file() for f in comp.required) and _has_weights(folder):
                found[comp.name] = folder
                break
    return found


# ------------------------------------------------------------------------------ checkpoints view
@dataclass
class ModelRoot:
    """The usable component folders of a root (what the loaders in core.checkpoints take)."""
    root: Path
    dits: dict[str, Path] = field(default_factory=dict)
    vae: Path | None = None
    text_encoder: Path | None = None
    lms: dict[str, Path] = field(default_factory=dict)


def _check_folder(path: Path, what: str) -> Path:
    if not path.exists():
        raise CheckpointError("checkpoint.missing_folder", f"{what} folder {path} does not exist.", path=str(path))
    if not path.is_dir():
        raise CheckpointError("checkpoint.not_a_folder", f"{path} is a file, not a model folder. Choose the folder that holds it.",
                              path=str(path))
    return path


def find_components(root: str | os.PathLike[str]) -> ModelRoot:
    """The component folders of a root that hold a config.json and are not an unfinished download.

    Raises when it holds none. Their files are checked by the loaders (a missing or truncated
    weight file gets its own message there).
    """
    root = _check_folder(Path(root), "The models")
    found = ModelRoot(root)
    for child in sorted(root.iterdir()):
        kind = kind_of(child.name)
        if kind is None or not child.is_dir() or not (child / "config.json").is_file():
            continue
        manifest = read_manifest(root, child.name)
        if manifest is not None and not manifest.get("complete"):
            continue  # still downloading (or interrupted): never taken as a model
        if kind == "dit":
            found.dits[child.name] = child
        elif kind == "lm":
            found.lms[child.name] = child
        elif kind == "vae":
            found.vae = child
        else:
            found.text_encoder = child
    if not (found.dits or found.vae or found.text_encoder or found.lms):
        raise CheckpointError(
            "checkpoint.not_a_checkpoint_root",
            f"{root} holds no ACE-Step model folders ({TURBO}/, {VAE_FOLDER}/, {TEXT_ENCODER_FOLDER}/). "
            "Choose the checkpoints folder of an ACE-Step download.", path=str(root))
    return found


def describe_root(root: str | os.PathLike[str]) -> dict[str, str]:
    """Component name → one-line description (for ``mixgrv doctor`` and the status bar)."""
    try:
        found = find_components(root)
    except CheckpointError:
        return {}
    folders: dict[str, Path] = {**found.dits, **found.lms}
    if found.vae:
        folders[VAE_FOLDER] = found.vae
    if found.text_encoder:
        folders[TEXT_ENCODER_FOLDER] = found.text_encoder
    return {name: _describe_folder(folder) for name, folder in folders.items()}


def _describe_folder(folder: Path) -> str:
    from mixgrv_app.core.checkpoints import weight_files

    size = sum(f.stat().st_size for f in weight_files(folder, required=False))
    try:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "config.json unreadable"
    bits = [f"{size / 1e9:.2f} GB" if size >= 1e8 else f"{size / 1e6:.1f} MB"]
    if "hidden_size" in cfg:
        bits.append(f"hidden {cfg['hidden_size']}")
    if "is_turbo" in cfg:
        bits.append("turbo" if cfg["is_turbo"] else str(cfg.get("model_version", "base")))
    return ", ".join(bits)

