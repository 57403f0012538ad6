"""Train the embedded GPT: a byte-level BPE tokenizer and a small GPT-2 on a folder of text.

The result is a plain Hugging Face folder (config.json, model.safetensors in fp16,
tokenizer.json and its config) plus MODEL_CARD.md and training_stats.json.
"""

from __future__ import annotations

import copy
import json
import math
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from tqdm import tqdm
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

from model import snapshots
from model.corpus import Corpus, read_corpus
from model.errors import GptanimError
from model.settings import TrainConfig

EOS = "<|endoftext|>"


# What training writes into its output folder (the Hugging Face files, the card, the record, the snapshots):
# an existing folder may be trained into again only if it holds nothing else, and only these are replaced.
WRITTEN = {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
           "special_tokens_map.json", "MODEL_CARD.md", "training_stats.json", snapshots.FOLDER}  # fmt: skip
SAVING = ".saving-"  # the temporary folder a checkpoint is written to, inside the output folder


def check_out(out: Path) -> None:
    """Refuse an output folder that is not a folder or holds anything training did not write (it is never
    deleted or replaced); a new folder is made when the first checkpoint is saved."""
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir():
        raise GptanimError(f"--out {out} exists and is not a folder; give a new folder, or one trained into before")
    try:
        names = sorted(os.listdir(out))
        kept = out / snapshots.FOLDER
        inner = sorted(os.listdir(kept)) if kept.is_dir() else []
    except OSError as exc:
        raise GptanimError(f"cannot read --out {out}: {exc.strerror}") from None
    foreign = [n for n in names if n not in WRITTEN and not n.startswith(SAVING)]
    if (out / snapshots.FOLDER).exists() and not kept.is_dir():
        foreign.append(snapshots.FOLDER)
    foreign += [f"{snapshots.FOLDER}/{n}" for n in inner if not snapshots.NAME.search(n.removesuffix(".saving"))]
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise GptanimError(f"--out {out} holds {foreign[0]!r}{more}, which training did not write; give a new or "
                           "empty folder (training never deletes what it did not write)")  # fmt: skip


def train_tokenizer(texts: list[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Byte-level BPE, as GPT-2 uses: every byte is in the alphabet, so any Unicode text round-trips."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=EOS, eos_token=EOS, unk_token=EOS, clean_up_tokenization_spaces=False
    )


def encode_stories(tokenizer: PreTrainedTokenizerFast, stories: list[str]) -> np.ndarray:
    """All stories as one stream of token ids, each story closed by <|endoftext|>."""
    eos = tokenizer.eos_token_id
    ids: list[int] = []
    for enc in tokenizer(stories, add_special_tokens=False)["input_ids"]:
        ids.extend(enc)
        ids.append(eos)
    return np.asarray(ids, dtype=np.int64)


def build_model(cfg: TrainConfig, vocab_size: int, eos_id: int) -> GPT2LMHeadModel:
    config = GPT2Config(
        vocab_size=vocab_size,
        n_positions=cfg.n_ctx,
        n_embd=cfg.n_embd,
        n_layer=cfg.n_layer,
        n_head=cfg.n_head,
        resid_pdrop=cfg.dropout,
        embd_pdrop=cfg.dropout,
        attn_pdrop=cfg.dropout,
        bos_token_id=eos_id,
        eos_token_id=eos_id,
        tie_word_embeddings=True,
    )
    return GPT2LMHeadModel(config)


def lr_at(cfg: TrainConfig, step: int, progress: float) -> float:
    """Linear warm-up over `warmup_steps`, then cosine decay to `min_lr_ratio` as progress goes 0 → 1."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    cosine = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine)


def lm_loss(model: GPT2LMHeadModel, batch: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy of a batch of windows (B, T+1)."""
    x, y = batch[:, :-1], batch[:, 1:]
    logits = model(input_ids=x).logits  # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), y.reshape(-1))


@torch.no_grad()
def evaluate(model: GPT2LMHeadModel, windows: torch.Tensor, cfg: TrainConfig) -> float:
    """Mean loss over every validation window (non-overlapping, so each token counts once)."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(windows), cfg.batch_size):
        batch = windows[start : start + cfg.batch_size]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
            loss = lm_loss(model, batch)
        total += loss.item() * len(batch)
        count += len(batch)
    model.train()
    return total / max(count, 1)


def val_windows(ids: np.ndarray, n_ctx: int) -> torch.Tensor:
    n = (len(ids) - 1) // n_ctx
    if n < 1:
        raise GptanimError("the validation stories are shorter than one context window; use a larger corpus")
    return torch.stack([torch.from_numpy(ids[i * n_ctx : i * n_ctx + n_ctx + 1]) for i in range(n)])


def model_state(model: GPT2LMHeadModel) -> dict[str, np.ndarray]:
    """Every parameter once (the tied output matrix is the embedding), as float32 numpy arrays."""
    return {name: p.detach().float().numpy().copy() for name, p in model.named_parameters()}


def save_checkpoint(model: GPT2LMHeadModel, tokenizer: PreTrainedTokenizerFast, out: Path) -> None:
    """Write the Hugging Face files in fp16 to a temporary folder inside `out`, then move each into place, the
    weights last; nothing else in `out` is touched (the card, the record and the snapshots stay)."""
    tmp = Path(tempfile.mkdtemp(prefix=SAVING, dir=out))
    try:
        half = copy.deepcopy(model).half().eval()
        half.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        for file in sorted(tmp.iterdir(), key=lambda f: (f.name == "model.safetensors", f.name)):
            os.replace(file, out / file.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class TrainingData:
    """The corpus, the tokenizer trained on its training stories, both parts as token ids, and the validation
    part cut into windows."""

    corpus: Corpus
    tokenizer: PreTrainedTokenizerFast
    train_ids: np.ndarray
    val_ids: np.ndarray
    val: torch.Tensor

    @classmethod
    def read(cls, cfg: TrainConfig) -> TrainingData:
        corpus: Corpus = read_corpus(cfg.corpus, cfg.val_fraction, cfg.seed)
        if not corpus.val_stories or not corpus.train_stories:
            n = len(corpus.train_stories) + len(corpus.val_stories)
            raise GptanimError(f"the corpus in {cfg.corpus} has {n} {'story' if n == 1 else 'stories'}; training "
                               "needs several, a blank line between them (some are held out to validate)")  # fmt: skip
        tokenizer = train_tokenizer(corpus.train_stories, cfg.vocab_size)
        train_ids = encode_stories(tokenizer, corpus.train_stories)
        val_ids = encode_stories(tokenizer, corpus.val_stories)
        if len(train_ids) <= cfg.n_ctx + 1:
            raise GptanimError("the corpus is shorter than one context window; use a larger corpus or --n-ctx")
        return cls(corpus, tokenizer, train_ids, val_ids, val_windows(val_ids, cfg.n_ctx))


def make_out(out: Path) -> None:
    """The output folder, made if new, without what a killed run left in it."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        for left in out.glob(SAVING + "*"):
            shutil.rmtree(left, ignore_errors=True)
    except OSError as exc:
        raise GptanimError(f"cannot write to --out {out}: {exc.strerror}") from None


def optimizer(model: GPT2LMHeadModel, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW, with weight decay on the matrices only (not on biases and norms)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
        betas=(0.9, 0.95),
    )


def train(cfg: TrainConfig, quiet: bool = False) -> dict:
    """Run a whole training; return the statistics written to training_stats.json."""
    cfg.check()
    check_out(cfg.out)
    hf_logging.disable_progress_bar()  # transformers' bar for writing the weights, at each checkpoint
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    started = time.time()
    data = TrainingData.read(cfg)
    make_out(cfg.out)
    return Training(cfg, data, started, quiet).run()


class Training:
    """One run: the model and its optimiser, the steps taken, the smoothed training loss, the best validation
    loss and the record of both, and the snapshots kept."""

    def __init__(self, cfg: TrainConfig, data: TrainingData, started: float, quiet: bool):
        self.cfg, self.data, self.started, self.quiet = cfg, data, started, quiet
        self.model = build_model(cfg, len(data.tokenizer), data.tokenizer.eos_token_id)
        self.init_hash = snapshots.state_hash(model_state(self.model))  # step 0: rebuilt from the seed, by this hash
        self.opt = optimizer(self.model, cfg)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.ids = torch.from_numpy(data.train_ids)
        self.offsets = torch.arange(cfg.n_ctx + 1)
        self.budget = (cfg.minutes or 0.0) * 60.0
        self.total = cfg.steps if cfg.steps is not None else None
        self.bar = tqdm(total=self.total or int(self.budget), unit="step" if self.total else "s", disable=quiet,
                        dynamic_ncols=True)  # fmt: skip
        self.step, self.best_step, self.best_val, self.interrupted = 0, 0, float("inf"), False
        self.train_loss_ema: float | None = None
        self.history: list[dict] = []
        self.kept: list[dict] = []
        self.loop_start = time.time()

    def run(self) -> dict:
        """Step until the steps or the minutes are spent (or Ctrl-C), validating and saving the best weights on
        the way and at the end; return the record."""
        self.model.train()
        try:
            while self.progress() < 1.0:
                self.take_step()
                self.show()
                if self.step in self.cfg.snapshot_steps:
                    self.snapshot()
                if self.step % self.cfg.eval_every == 0:
                    self.checkpoint()
        except KeyboardInterrupt:
            self.interrupted = True
            if not self.quiet:
                print("\ninterrupted: saving what there is", flush=True)
        if self.step and (not self.history or self.history[-1]["step"] != self.step):
            self.checkpoint()
        self.bar.close()
        return self.write_stats()

    def progress(self) -> float:
        return self.step / self.total if self.total else (time.time() - self.loop_start) / self.budget

    def take_step(self) -> None:
        """One optimiser step on a batch of random windows of the training stories."""
        cfg = self.cfg
        for group in self.opt.param_groups:
            group["lr"] = lr_at(cfg, self.step, self.progress())
        starts = torch.randint(0, len(self.ids) - cfg.n_ctx - 1, (cfg.batch_size,), generator=self.gen)
        batch = self.ids[starts[:, None] + self.offsets]  # (B, T+1)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
            loss = lm_loss(self.model, batch)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        self.step += 1
        value = loss.item()
        self.train_loss_ema = value if self.train_loss_ema is None else 0.98 * self.train_loss_ema + 0.02 * value

    def show(self) -> None:
        if self.total:
            self.bar.update(1)
        else:
            self.bar.n = min(int(time.time() - self.loop_start), int(self.budget))
            self.bar.refresh()
        self.bar.set_postfix(step=self.step, loss=f"{self.train_loss_ema:.3f}", best=f"{self.best_val:.3f}")

    def checkpoint(self) -> None:
        """Validate; when the loss is the best yet, save the weights and the record."""
        v = evaluate(self.model, self.data.val, self.cfg)
        self.history.append({"step": self.step, "train_loss": self.train_loss_ema, "val_loss": v})
        if v < self.best_val:
            self.best_val, self.best_step = v, self.step
            save_checkpoint(self.model, self.data.tokenizer, self.cfg.out)
            self.write_stats()
        self.bar.set_postfix(loss=f"{self.train_loss_ema:.3f}", val=f"{v:.3f}", best=f"{self.best_val:.3f}")

    def snapshot(self) -> None:
        path = snapshots.snapshot_path(self.cfg.out, self.step)
        digest = snapshots.save(model_state(self.model), path, self.step)
        self.kept.append({"step": self.step, "val_loss": evaluate(self.model, self.data.val, self.cfg),
                          "file": str(path.relative_to(self.cfg.out)), "sha256": digest})  # fmt: skip

    def write_stats(self) -> dict:
        cfg, data = self.cfg, self.data
        stats = {
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()},
            "corpus_files": [asdict(f) for f in data.corpus.files],
            "train_stories": len(data.corpus.train_stories),
            "val_stories": len(data.corpus.val_stories),
            "train_tokens": int(len(data.train_ids)),
            "val_tokens": int(len(data.val_ids)),
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "steps": self.step,
            "best_step": self.best_step,
            "tokens_seen": self.step * cfg.batch_size * cfg.n_ctx,
            "train_seconds": round(time.time() - self.started, 1),
            "train_loss": self.train_loss_ema,
            "best_val_loss": self.best_val,
            "interrupted": self.interrupted,
            "history": self.history,
            "init_hash": self.init_hash,
            "snapshots": self.kept,
        }
        (cfg.out / "training_stats.json").write_text(json.dumps(stats, indent=2))
        return stats
