"""Korean/English sentences for the error and warning codes raised by core/.

core/ cannot call ``tr()``: its errors carry a ``code`` and ``params`` (see core/errors.py).
Each code is listed here once, wrapped in ``QT_TRANSLATE_NOOP`` so lupdate puts it in
translations/mixgrv_ko.ts under the context "Messages". A test checks that every code raised in
core/ has an entry, and that every entry is translated. Add new codes in alphabetical order.
Each sentence says what happened and what to do next.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QT_TRANSLATE_NOOP

CONTEXT = "Messages"

MESSAGES: dict[str, str] = {
    # code: English source text ({name} placeholders filled from the error's params)
    "analysis.clipping": QT_TRANSLATE_NOOP("Messages", "{percent}% of the samples are clipped. A cleaner master will train better."),
    "analysis.downmixed": QT_TRANSLATE_NOOP("Messages", "This file has {channels} channels; it was mixed down to stereo for training."),
    "analysis.leading_silence": QT_TRANSLATE_NOOP("Messages", "The track starts with {seconds} s of silence. Consider trimming it."),
    "analysis.low_sample_rate": QT_TRANSLATE_NOOP("Messages", "The sample rate is only {sample_rate} Hz; the high frequencies are missing. Use a better source if you have one."),
    "analysis.near_duplicate": QT_TRANSLATE_NOOP("Messages", "This sounds like the same recording as {other}. Remove one of them unless you mean to weight it twice."),
    "analysis.non_finite": QT_TRANSLATE_NOOP("Messages", "The file contains {count} NaN/Inf samples. Re-export it from your audio editor."),
    "analysis.silent": QT_TRANSLATE_NOOP("Messages", "The track is silent. Remove it from the dataset."),
    "analysis.too_short": QT_TRANSLATE_NOOP("Messages", "The track is only {seconds} s long; tracks of at least 5 s train better."),
    "analysis.trailing_silence": QT_TRANSLATE_NOOP("Messages", "The track ends with {seconds} s of silence. Consider trimming it."),
    "analysis.very_quiet": QT_TRANSLATE_NOOP("Messages", "The track is very quiet ({lufs} LUFS). Check that it is the right file."),
    "analysis.will_be_cut": QT_TRANSLATE_NOOP("Messages", "The track is {seconds} s long; only the first {max_seconds} s are used for training."),
    "audio.bad_shape": QT_TRANSLATE_NOOP("Messages", "The audio to write has the wrong shape ({shape}); this is a bug, please report it."),
    "audio.empty_file": QT_TRANSLATE_NOOP("Messages", "{name} is empty (0 bytes). Re-export or re-download the file and add it again."),
    "audio.no_audio": QT_TRANSLATE_NOOP("Messages", "{name} contains no audio samples. Choose a file that plays in a music player."),
    "audio.not_finite": QT_TRANSLATE_NOOP("Messages", "{name} contains NaN or Inf samples. Re-export the file from your audio editor."),
    "audio.not_found": QT_TRANSLATE_NOOP("Messages", "{name} was not found. Check that the file still exists and add it again."),
    "audio.too_large": QT_TRANSLATE_NOOP("Messages", "{name} is too large to decode in memory. Split it into shorter files."),
    "audio.truncated": QT_TRANSLATE_NOOP("Messages", "{name} looks truncated or damaged ({reason}). Re-export or re-download it."),
    "audio.undecodable": QT_TRANSLATE_NOOP("Messages", "{name} is not an audio file this app can read. Convert it to WAV, FLAC or MP3 and add it again."),
    "audio.unsupported_bit_depth": QT_TRANSLATE_NOOP("Messages", "{format} cannot be written with bit depth {bit_depth}; choose one of {choices}."),
    "audio.unsupported_output_format": QT_TRANSLATE_NOOP("Messages", "Cannot write {extension} files; choose a .wav, .flac or .mp3 file name."),
    "audio.write_failed": QT_TRANSLATE_NOOP("Messages", "Could not write {path}: {reason}. Check free disk space and folder permissions."),
    "autolabel.silent": QT_TRANSLATE_NOOP("Messages", "{filename} is silent, so there is nothing to describe. Label it by hand or remove it."),
    "checkpoint.corrupt_file": QT_TRANSLATE_NOOP("Messages", "{path} is damaged or not a model file. Download the model again."),
    "checkpoint.missing_component": QT_TRANSLATE_NOOP("Messages", "The model folder {component} is missing from {path}. Download it or choose another models folder."),
    "checkpoint.missing_file": QT_TRANSLATE_NOOP("Messages", "{path} is missing. Download the model again."),
    "checkpoint.missing_folder": QT_TRANSLATE_NOOP("Messages", "The folder {path} does not exist. Choose the ACE-Step checkpoints folder under Settings."),
    "checkpoint.missing_key": QT_TRANSLATE_NOOP("Messages", "{file}: the weight '{key}' is missing. These files do not belong to this model; download it again."),
    "checkpoint.not_a_checkpoint_root": QT_TRANSLATE_NOOP("Messages", "{path} holds no ACE-Step model folders. Choose the checkpoints folder of an ACE-Step download."),
    "checkpoint.not_a_folder": QT_TRANSLATE_NOOP("Messages", "{path} is a file, not a model folder. Choose the folder that holds it."),
    "checkpoint.shape_mismatch": QT_TRANSLATE_NOOP("Messages", "{file}: '{key}' has shape {found}, expected {expected}. The config.json does not match these weights."),
    "checkpoint.truncated_file": QT_TRANSLATE_NOOP("Messages", "{path} is incomplete (the download stopped early). Download it again."),
    "checkpoint.unexpected_key": QT_TRANSLATE_NOOP("Messages", "{file}: unexpected weight '{key}'. These files are for a different model."),
    "dataset.bad_csv": QT_TRANSLATE_NOOP("Messages", "{name} is not a label CSV with the columns file,bpm,key,caption. Fix the header row and add it again."),
    "dataset.bad_csv_value": QT_TRANSLATE_NOOP("Messages", "The CSV value '{value}' for {field} was ignored. Fix it in the CSV or edit the track."),
    "dataset.bad_field": QT_TRANSLATE_NOOP("Messages", "'{value}' is not a valid value for {field}. Check the value and try again."),
    "dataset.bundle_corrupt": QT_TRANSLATE_NOOP("Messages", "{member} in the bundle {file} is damaged or was changed ({reason}). Copy the bundle again or pack it anew."),
    "dataset.bundle_exists": QT_TRANSLATE_NOOP("Messages", "A dataset named '{name}' already exists here. Unpack the bundle under another name (--name) or delete that dataset first."),
    "dataset.bundle_file_exists": QT_TRANSLATE_NOOP("Messages", "{path} already exists. Choose another file name for the bundle."),
    "dataset.bundle_not_preprocessed": QT_TRANSLATE_NOOP("Messages", "The dataset '{name}' has no prepared tensors to pack. Press “Prepare for training” first."),
    "dataset.bundle_unreadable": QT_TRANSLATE_NOOP("Messages", "{file} is not a dataset bundle mixgrv can read ({reason}). Make it again with 'mixgrv dataset pack'."),
    "dataset.bundle_unsafe": QT_TRANSLATE_NOOP("Messages", "The bundle {file} was refused: '{member}' {reason}. Ask for a new bundle made with 'mixgrv dataset pack'."),
    "dataset.copy_failed": QT_TRANSLATE_NOOP("Messages", "Could not copy {name} into the dataset ({reason}). Check free disk space."),
    "dataset.corrupt": QT_TRANSLATE_NOOP("Messages", "The dataset file {path} cannot be read ({reason}). Restore it from a backup or create the dataset again."),
    "dataset.duplicate_file": QT_TRANSLATE_NOOP("Messages", "{name} is already in the dataset as {existing}; it was not added twice."),
    "dataset.exists": QT_TRANSLATE_NOOP("Messages", "A dataset named '{name}' already exists. Pick another name."),
    "dataset.invalid_name": QT_TRANSLATE_NOOP("Messages", "'{name}' cannot be a dataset name. Use 1-120 characters without / \\ : and not starting with a dot."),
    "dataset.not_found": QT_TRANSLATE_NOOP("Messages", "There is no dataset named '{name}'. Check the name with 'mixgrv dataset list'."),
    "dataset.track_not_found": QT_TRANSLATE_NOOP("Messages", "There is no track '{track}' in dataset '{dataset}'. Use the track's id, file name or number."),
    "generate.backend_unavailable": QT_TRANSLATE_NOOP("Messages", "Cannot use the {backend} backend: {reason}. Choose the torch backend."),
    "generate.device_unavailable": QT_TRANSLATE_NOOP("Messages", "The {device} device is not available on this machine. Choose cpu or auto."),
    "generate.load_failed": QT_TRANSLATE_NOOP("Messages", "Could not load {component} from {path}: {reason}. Download the model folder again."),
    "generate.not_finite": QT_TRANSLATE_NOOP("Messages", "The model produced invalid values (NaN/Inf). Try another seed or generate on the CPU."),
    "generate.process_died": QT_TRANSLATE_NOOP("Messages", "The model process stopped unexpectedly ({how}). Generate again to reload the models; if it happens again, choose a shorter duration or a smaller batch."),
    "generate.seed_drawn": QT_TRANSLATE_NOOP("Messages", "Seed {seed} was drawn for this take; reuse it to get the same song again."),
    "generate.tokenizer_corrupt": QT_TRANSLATE_NOOP("Messages", "{path} cannot be read ({reason}). Download the model folder again."),
    "generate.tokenizer_missing": QT_TRANSLATE_NOOP("Messages", "{path} is missing. Download the Qwen3-Embedding-0.6B folder again."),
    "job.internal": QT_TRANSLATE_NOOP("Messages", "Something went wrong inside mixgrv ({reason}). Try again; if it keeps happening, send the log file (Help menu) to the developers."),
    "lm.bad_quantization": QT_TRANSLATE_NOOP("Messages", "A {bits}-bit LM is offered on MLX only, with 4 or 8 bits. Choose MLX or the full-precision LM."),
    "lm.missing": QT_TRANSLATE_NOOP("Messages", "The 5 Hz LM folder {folder} is not in {path}. Download {folder} from the ACE-Step release into that folder, or turn thinking off."),
    "lm.no_chat_template": QT_TRANSLATE_NOOP("Messages", "The 5 Hz LM folder {path} has no chat template (chat_template.jinja). Download the LM folder again."),
    "lm.no_code_token": QT_TRANSLATE_NOOP("Messages", "The LM tokenizer has no token for audio code {value}. Download the LM folder again."),
    "lm.no_codes": QT_TRANSLATE_NOOP("Messages", "There are no audio codes to describe. Choose an audio file with sound in it."),
    "lm.not_enough_memory": QT_TRANSLATE_NOOP("Messages", "The {size} LM needs about {need_gb} GB free, but only {free_gb} GB is free. Close other apps or choose a smaller LM (0.6B)."),
    "lm.prompt_too_long": QT_TRANSLATE_NOOP("Messages", "The prompt is {tokens} tokens; the LM reads at most {limit}. Shorten the caption or lyrics."),
    "lm.tokenizer_missing": QT_TRANSLATE_NOOP("Messages", "{path} is missing. Download the 5 Hz LM folder again."),
    "lora.corrupt": QT_TRANSLATE_NOOP("Messages", "The LoRA adapter {path} cannot be read ({reason}). Export or train it again."),
    "lora.import_failed": QT_TRANSLATE_NOOP("Messages", "The LoRA adapter {path} could not be copied into the library ({reason}). Check the free disk space and try again."),
    "lora.missing_file": QT_TRANSLATE_NOOP("Messages", "The LoRA adapter {path} has no {file}. Choose the folder that holds adapter_config.json and adapter_model.safetensors."),
    "lora.not_found": QT_TRANSLATE_NOOP("Messages", "The LoRA adapter folder {path} was not found. Check the path."),
    "lora.not_loaded": QT_TRANSLATE_NOOP("Messages", "No adapter named '{name}' is loaded. Add it again."),
    "lora.shape_mismatch": QT_TRANSLATE_NOOP("Messages", "The adapter {path} does not fit the {variant} model ({module}: expected {expected}, found {found}). Use an adapter trained on this model."),
    "lora.unknown_module": QT_TRANSLATE_NOOP("Messages", "The adapter {path} targets {module}, which the {variant} model does not have. Use an adapter trained on this model."),
    "lora.unsupported": QT_TRANSLATE_NOOP("Messages", "The adapter {path} ({kind}) is not a plain LoRA adapter; only LoRA adapters are supported."),
    "lora.variant_mismatch": QT_TRANSLATE_NOOP("Messages", "The adapter {name} was trained on another model variant than {variant}; it may sound different than expected."),
    "models.all_installed": QT_TRANSLATE_NOOP("Messages", "Every requested model is already installed."),
    "models.cache_mismatch": QT_TRANSLATE_NOOP("Messages", "{component} in the Hugging Face cache ({path}) does not match the publisher's files; it will be downloaded instead."),
    "models.child_died": QT_TRANSLATE_NOOP("Messages", "The download process ended unexpectedly ({how}). Start the download again: it resumes where it stopped."),
    "models.disk_full": QT_TRANSLATE_NOOP("Messages", "Not enough free space in {path}: {needed} GB needed, {free} GB free. Free some space or choose another models folder."),
    "models.network": QT_TRANSLATE_NOOP("Messages", "Could not download from {endpoint} ({reason}). Check the internet connection or proxy, then download again: finished files are kept."),
    "models.not_found": QT_TRANSLATE_NOOP("Messages", "{repo} was not found on the model server {endpoint}. Check the server address (HF_ENDPOINT) or update mixgrv."),
    "models.offline": QT_TRANSLATE_NOOP("Messages", "Offline mode is on (HF_HUB_OFFLINE), so {repo} cannot be downloaded. Turn offline mode off, or choose a folder that already has the models."),
    "models.refetch": QT_TRANSLATE_NOOP("Messages", "{file} did not match the publisher's checksum; downloading it again."),
    "models.remove_failed": QT_TRANSLATE_NOOP("Messages", "Could not delete {path} ({reason}). Close programs using it and try again."),
    "models.resuming": QT_TRANSLATE_NOOP("Messages", "{file}: the connection was lost; resuming where it stopped."),
    "models.reused": QT_TRANSLATE_NOOP("Messages", "{component}: using the copy already in the Hugging Face cache ({path}); nothing to download."),
    "models.unauthorized": QT_TRANSLATE_NOOP("Messages", "The model server refused access to {repo} ({status}). Set a valid Hugging Face token (HF_TOKEN), then try again."),
    "models.unknown_component": QT_TRANSLATE_NOOP("Messages", "'{name}' is not a known model. Choose one of: {known}."),
    "models.verify_failed": QT_TRANSLATE_NOOP("Messages", "{file} did not match the publisher's checksum twice and was deleted. Try again later or from another network."),
    "models.verify_mismatch": QT_TRANSLATE_NOOP("Messages", "{component}: {files} did not match the publisher's checksum and was deleted. Download it again."),
    "models.write_failed": QT_TRANSLATE_NOOP("Messages", "Could not write {path} ({reason}). Check that the models folder is writable, or choose another one."),
    "preprocess.empty_dataset": QT_TRANSLATE_NOOP("Messages", "Dataset '{dataset}' has no tracks to preprocess. Add songs first."),
    "preprocess.non_finite": QT_TRANSLATE_NOOP("Messages", "{track}: the {stage} stage produced {count} NaN/Inf values in {tensor}; nothing was written. Run preprocessing in float32 on CPU, or check the model files."),
    "preprocess.too_short": QT_TRANSLATE_NOOP("Messages", "{track} is shorter than one latent frame (40 ms). Remove it from the dataset."),
    "preprocess.unlabeled": QT_TRANSLATE_NOOP("Messages", "{count} track(s) have no caption; they are trained on the metas only. Add captions for better results."),
    "request.bad_audio_codes": QT_TRANSLATE_NOOP("Messages", "The pasted audio codes contain no <|audio_code_N|> tokens. Paste the code string a Think take wrote, or clear the field."),
    "request.bad_backend": QT_TRANSLATE_NOOP("Messages", "Unknown backend '{value}'; choose torch, mlx or auto."),
    "request.bad_batch": QT_TRANSLATE_NOOP("Messages", "The batch size {value} is out of range; choose {min} to {max}."),
    "request.bad_bpm": QT_TRANSLATE_NOOP("Messages", "The BPM {value} is out of range; choose {min} to {max} or leave it empty."),
    "request.bad_duration": QT_TRANSLATE_NOOP("Messages", "The duration {value} s is out of range; choose {min} to {max} seconds."),
    "request.bad_fraction": QT_TRANSLATE_NOOP("Messages", "{field} must be between 0 and 1 (got {value})."),
    "request.bad_guidance": QT_TRANSLATE_NOOP("Messages", "The guidance {value} is out of range; choose {min} to {max}."),
    "request.bad_guidance_mode": QT_TRANSLATE_NOOP("Messages", "Unknown guidance '{value}'; choose apg or adg."),
    "request.bad_key": QT_TRANSLATE_NOOP("Messages", "The key '{value}' is too long; write it like 'C major' or 'F# minor'."),
    "request.bad_language": QT_TRANSLATE_NOOP("Messages", "'{value}' is not a supported language code. Choose a language from the list."),
    "request.bad_lm_setting": QT_TRANSLATE_NOOP("Messages", "The LM setting {field} = {value} is out of range. Use the default or a value the option's help names."),
    "request.bad_lora_scale": QT_TRANSLATE_NOOP("Messages", "The LoRA scale {value} for {path} is out of range; choose 0 to 1."),
    "request.bad_noise": QT_TRANSLATE_NOOP("Messages", "The initial noise has the wrong shape; this is a bug, please report it."),
    "request.bad_region": QT_TRANSLATE_NOOP("Messages", "The repaint region needs an end after its start (start {start} s, end {end} s)."),
    "request.bad_seed": QT_TRANSLATE_NOOP("Messages", "The seed {value} is not valid; use a whole number from 0 to {max}."),
    "request.bad_shift": QT_TRANSLATE_NOOP("Messages", "The shift {value} is out of range; choose {min} to {max}."),
    "request.bad_steps": QT_TRANSLATE_NOOP("Messages", "The step count {value} is out of range; choose {min} to {max}."),
    "request.bad_task": QT_TRANSLATE_NOOP("Messages", "Unknown task '{value}'; choose text2music, cover, repaint, extend, lego, extract or complete."),
    "request.bad_time_signature": QT_TRANSLATE_NOOP("Messages", "The time signature {value} is not supported; choose one of {choices}."),
    "request.bad_timesteps": QT_TRANSLATE_NOOP("Messages", "Custom timesteps must be numbers between 0 and 1."),
    "request.bad_track": QT_TRANSLATE_NOOP("Messages", "The {task} task needs a track from this list: {choices}. Choose one and try again."),
    "request.caption_missing": QT_TRANSLATE_NOOP("Messages", "The caption is empty. Describe the music you want (genre, instruments, mood)."),
    "request.codes_need_cover": QT_TRANSLATE_NOOP("Messages", "Pasted audio codes make a cover; the {task} task cannot use them. Choose the cover task or clear the codes."),
    "request.lm_no_length": QT_TRANSLATE_NOOP("Messages", "The LM planned no length and wrote no audio codes. Set a length, or think again with another seed."),
    "request.duration_missing": QT_TRANSLATE_NOOP("Messages", "Text to music needs a duration. Enter {min} to {max} seconds."),
    "request.file_not_found": QT_TRANSLATE_NOOP("Messages", "The file {path} ({field}) was not found. Check the path and try again."),
    "request.output_folder_missing": QT_TRANSLATE_NOOP("Messages", "The folder {path} does not exist. Create it or choose another output path."),
    "request.region_outside": QT_TRANSLATE_NOOP("Messages", "The {task} region {start}–{end} s is outside what this task allows. Choose {allowed}."),
    "request.source_required": QT_TRANSLATE_NOOP("Messages", "The {task} task needs a source audio file. Choose one and try again."),
    "request.source_too_long": QT_TRANSLATE_NOOP("Messages", "The source {name} is {seconds} s long; sources can be at most {max} s. Trim it in an audio editor and choose it again."),
    "request.source_undecodable": QT_TRANSLATE_NOOP("Messages", "The source {name} cannot be decoded ({reason}). Convert it to WAV or FLAC and choose it again."),
    "request.task_needs_base": QT_TRANSLATE_NOOP("Messages", "The {task} task runs only on the base model ({model}): turbo and sft were tuned for text to music, cover and repaint, so it is offered only with base. Switch to {model} and try again."),
    "request.think_task": QT_TRANSLATE_NOOP("Messages", "Thinking plans a new song from text; it cannot be combined with the {task} task, a source audio or pasted codes. Turn thinking off or choose text to music."),
    "request.too_long": QT_TRANSLATE_NOOP("Messages", "{frames} latent frames exceed the model's limit of {limit}; choose a shorter duration."),
    "request.variant_mismatch": QT_TRANSLATE_NOOP("Messages", "The generator has {loaded} loaded, not {requested}. Load that model first."),
    "training.bad_checkpoint": QT_TRANSLATE_NOOP("Messages", "The checkpoint {checkpoint} does not fit this run. Start a new run instead."),
    "training.bad_setting": QT_TRANSLATE_NOOP("Messages", "The training setting {setting} = {value} is not allowed. Change it and start again."),
    "training.crashed": QT_TRANSLATE_NOOP("Messages", "Training stopped unexpectedly at step {step}. Your checkpoints are safe: choose the run under Resume to continue."),
    "training.mps_single_process": QT_TRANSLATE_NOOP("Messages", "Apple GPUs train in one process only. Start the run without --nproc, or choose the CPU."),
    "training.no_model": QT_TRANSLATE_NOOP("Messages", "The model folder {folder} was not found. Choose the ACE-Step checkpoints folder in Settings and start again."),
    "training.no_such_run": QT_TRANSLATE_NOOP("Messages", "There is no training run named '{run}'."),
    "training.nonfinite": QT_TRANSLATE_NOOP("Messages", "The loss stayed NaN for {steps} steps, so training stopped and kept the last good checkpoint. Prepare the songs again in float32 or lower the learning rate."),
    "training.nonfinite_step": QT_TRANSLATE_NOOP("Messages", "Step {step} produced NaN and was skipped."),
    "training.not_enough_gpus": QT_TRANSLATE_NOOP("Messages", "This machine has {gpus} GPU(s) but {nproc} training processes were started on it. Start one process per GPU."),
    "training.not_preprocessed": QT_TRANSLATE_NOOP("Messages", "The dataset '{dataset}' is not prepared for training yet. Press “Prepare for training” first."),
    "training.nothing_to_resume": QT_TRANSLATE_NOOP("Messages", "The run '{run}' has no checkpoint yet, so it cannot be resumed. Start it again."),
    "training.ranks_failed": QT_TRANSLATE_NOOP("Messages", "The {nproc} training processes ended (exit code {code}) before the run started. Read the messages above, fix the cause and start again."),
    "training.run_exists": QT_TRANSLATE_NOOP("Messages", "A run named '{run}' already exists. Choose another name."),
    "training.sample_failed": QT_TRANSLATE_NOOP("Messages", "The sample for this checkpoint could not be rendered; training goes on."),
    "training.too_big": QT_TRANSLATE_NOOP("Messages", "This run needs about {need_gb} GB but this Mac has {have_gb} GB. Lower the {setting} (or the rank) and try again."),
    "training.world_size_changed": QT_TRANSLATE_NOOP("Messages", "This run continues with {now} processes instead of {saved} from step {step}: the data order changes, so the losses will differ from an uninterrupted run."),
}


def text_for(code: str, params: dict[str, Any] | None = None, fallback: str = "") -> str:
    """The translated sentence for ``code``; the core's English text when the code is unknown."""
    source = MESSAGES.get(code)
    if source is None:
        return fallback or code
    translated = QCoreApplication.translate(CONTEXT, source)
    try:
        return translated.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return translated


def text_for_error(exc: BaseException) -> str:
    code = getattr(exc, "code", "")
    return text_for(code, getattr(exc, "params", {}), str(exc))
