"""The training loop of :class:`~framing.stance.classifier.StanceClassifier`.

Plain torch, called by ``StanceClassifier.fit`` once the network is built and the rows are
tokenised (seeds are set before the model is built): length-bucketed batches (shuffled, cut into
mega-batches of ``bucket_batches`` batches, sorted by length within each, batch order shuffled
again; :func:`length_batches`) with dynamic padding; AdamW with separate encoder and head
learning rates; linear warm-up then linear decay (transformers'
``get_linear_schedule_with_warmup``, see :func:`_linear_scheduler`); optional class weights; the
best model on dev macro-F1 is kept (and written to ``checkpoint_dir``) and training stops after
``early_stopping_patience`` evaluations without improvement. Every knob lives in the frozen
:class:`~framing.stance.classifier.TrainingArguments`.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from framing.stance.classifier import TrainingArguments, _collate, _predict_proba
from framing.stance.evaluation import classification_report, report_to_json


def length_batches(
    lengths: Sequence[int],
    batch_size: int,
    rng: np.random.Generator,
    *,
    bucketing: bool = True,
    bucket_batches: int = 50,
) -> list[np.ndarray]:
    """Cut example indices into training batches, each index exactly once.

    With ``bucketing``: shuffle, cut into mega-batches of ``batch_size * bucket_batches``, sort
    each by length (so a batch pads little), cut into batches and shuffle the batch order. Without:
    shuffled consecutive batches.
    """
    lengths = np.asarray(lengths)
    order = rng.permutation(len(lengths))
    if not bucketing:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    batches = []
    mega = batch_size * bucket_batches
    for s in range(0, len(order), mega):
        part = order[s : s + mega]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def train_loop(
    torch,
    net,
    train: dict,
    features: np.ndarray,
    y_ids: np.ndarray,
    dev,
    weights,
    args: TrainingArguments,
    pad_id: int,
    labels: list[str],
) -> tuple[list[dict], dict]:
    """The training loop; returns (history, best) and leaves the best dev weights in ``net``.

    Parameters
    ----------
    torch : module
        The imported torch (passed so that importing this module does not load it).
    net : torch module
        Encoder + head, freshly built (after the seeds were set).
    train : dict
        The tokenised training rows (``classifier._encode``).
    features : ndarray
        Their standardised feature columns (zero columns without features).
    y_ids : ndarray
        Their label ids (positions in ``labels``).
    dev : tuple or None
        (tokenised rows, standardised features, label ids) of the dev set.
    weights : ndarray or None
        Loss weight per label.
    args : TrainingArguments
    pad_id : int
        The tokenizer's padding id.
    labels : list of str
        The labels, in head order.

    Returns
    -------
    (list of dict, dict)
        One record per evaluation (step, epoch, train_loss, dev_macro_f1, dev_accuracy) and the
        best dev evaluation (step, epoch, macro_f1, report; empty without a dev set).
    """
    from tqdm.auto import tqdm

    rng = np.random.default_rng(args.seed)
    steps_per_epoch = math.ceil(len(y_ids) / args.batch_size)
    total = steps_per_epoch * args.epochs
    optimizer = _optimizer(torch, net, args)
    scheduler = _linear_scheduler(optimizer, int(args.warmup_ratio * total), total)
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=None if weights is None else torch.tensor(weights, dtype=torch.float32)
    )
    step = _Step(torch, net, optimizer, scheduler, loss_fn, train, features,
                 torch.from_numpy(y_ids), pad_id, args.max_grad_norm,
                 bf16=args.precision == "bf16")
    tracker = _DevTracker(torch, net, dev, args, pad_id, labels)
    net.train()
    with tqdm(total=total, desc="fine-tuning", unit="step", disable=not args.progress_bar) as bar:
        tracker.bar = bar
        for epoch in range(1, args.epochs + 1):
            batches = length_batches(
                train["lengths"],
                args.batch_size,
                rng,
                bucketing=args.length_bucketing,
                bucket_batches=args.bucket_batches,
            )
            if _epoch(step, tracker, batches, epoch, args.eval_every, bar):
                break
    tracker.restore_best()
    return tracker.history, tracker.best


def _epoch(step: _Step, tracker: _DevTracker, batches: list[np.ndarray], epoch: int,
           eval_every: int | None, bar) -> bool:
    """One pass over ``batches``, evaluating every ``eval_every`` steps or at its end.

    Returns True when early stopping says training should stop.
    """
    for index in batches:
        tracker.add_loss(step(index), len(index))
        bar.update(1)
        if eval_every is not None and tracker.step % eval_every == 0 and tracker.evaluate(epoch):
            return True
    if eval_every is None or tracker.step % eval_every != 0:
        return tracker.evaluate(epoch)
    return False


class _Step:
    """One optimisation step on a batch of row indices; returns the batch's mean loss."""

    def __init__(self, torch, net, optimizer, scheduler, loss_fn, train: dict,
                 features: np.ndarray, targets, pad_id: int, max_grad_norm: float | None,
                 *, bf16: bool = False) -> None:
        self.torch, self.net, self.optimizer, self.scheduler = torch, net, optimizer, scheduler
        self.loss_fn, self.train, self.features, self.targets = loss_fn, train, features, targets
        self.pad_id, self.max_grad_norm, self.bf16 = pad_id, max_grad_norm, bf16

    def __call__(self, index: np.ndarray) -> float:
        import contextlib

        batch = _collate(self.torch, self.train, self.features, index, self.pad_id)
        # bf16: the forward pass under autocast; the loss, the backward's accumulation into the
        # float32 weights and the optimiser stay float32.
        autocast = (self.torch.autocast("cpu", dtype=self.torch.bfloat16) if self.bf16
                    else contextlib.nullcontext())
        with autocast:
            logits = self.net(**batch)
        loss = self.loss_fn(logits.float(), self.targets[index])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.max_grad_norm is not None:
            self.torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.scheduler.step()
        return loss.item()


class _DevTracker:
    """Steps, running training loss, dev evaluations, the best weights and early stopping."""

    def __init__(self, torch, net, dev, args: TrainingArguments, pad_id: int,
                 labels: list[str]) -> None:
        self.torch, self.net, self.dev, self.args = torch, net, dev, args
        self.pad_id, self.labels = pad_id, labels
        self.checkpoint = Path(args.checkpoint_dir) if args.checkpoint_dir else None
        self.history: list[dict] = []
        self.best: dict = {}
        self.best_state = None
        self.stale = 0
        self.step = 0
        self.running, self.seen = 0.0, 0
        self.bar = None

    def add_loss(self, loss: float, n: int) -> None:
        """Count one training step of ``n`` rows with mean loss ``loss``."""
        self.step += 1
        self.running += loss * n
        self.seen += n

    def evaluate(self, epoch: int) -> bool:
        """Score dev, keep the best weights, put ``net`` back in training mode.

        Returns True when training should stop.
        """
        record = {"step": self.step, "epoch": epoch, "train_loss": self.running / max(self.seen, 1)}
        self.running, self.seen = 0.0, 0
        stop = self._score_dev(record, epoch) if self.dev is not None else False
        self.history.append(record)
        self.net.train()
        return stop

    def _score_dev(self, record: dict, epoch: int) -> bool:
        dev_encoded, dev_features, dev_ids = self.dev
        proba = _predict_proba(
            self.torch, self.net, dev_encoded, dev_features, self.args.eval_batch_size, self.pad_id
        )
        labels = self.labels
        report = classification_report(
            [labels[i] for i in dev_ids],
            [labels[i] for i in proba.argmax(axis=1)],
            proba=proba,
            labels=labels,
        )
        record["dev_macro_f1"] = report["macro_f1"]
        record["dev_accuracy"] = report["accuracy"]
        stop = False
        if not self.best or report["macro_f1"] > self.best["macro_f1"]:
            self.best.update(
                step=self.step,
                epoch=epoch,
                macro_f1=report["macro_f1"],
                report=report_to_json(report),
            )
            self.best_state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
            self.stale = 0
            if self.checkpoint is not None:
                _write_checkpoint(self.net, self.checkpoint, record)
        else:
            self.stale += 1
            patience = self.args.early_stopping_patience
            stop = patience is not None and self.stale >= patience
        self.bar.set_postfix(loss=f"{record['train_loss']:.3f}", dev_f1=f"{report['macro_f1']:.3f}")
        return stop

    def restore_best(self) -> None:
        """Load the best dev weights into ``net`` (nothing without a dev set)."""
        if self.best_state is not None:
            self.net.load_state_dict(self.best_state)


def _linear_scheduler(optimizer, warmup: int, total: int):
    """Linear warm-up over ``warmup`` steps, then linear decay to 0 at ``total`` steps.

    transformers' ``get_linear_schedule_with_warmup``, set up so that the first step already
    learns: step k (from 0) uses the factor (k + 1) / (warmup + 1) while k < warmup, then
    (total - k) / (total - warmup). That is transformers' schedule over ``warmup + 1`` and
    ``total + 1`` steps, advanced by one step before training (its step 0 has factor 0, a
    step that would learn nothing). The factors are the same floats as the hand-written
    schedule this replaced (checked for every step of many step counts and warm-up ratios).
    """
    from transformers import get_linear_schedule_with_warmup

    scheduler = get_linear_schedule_with_warmup(optimizer, warmup + 1, total + 1)
    with warnings.catch_warnings():
        # torch warns that the scheduler steps before the optimizer: here on purpose.
        warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)`")
        scheduler.step()
    return scheduler


def _optimizer(torch, net, args: TrainingArguments):
    groups = {"encoder_decay": [], "encoder_no_decay": [], "head": []}
    for name, param in net.named_parameters():
        if not param.requires_grad:
            continue
        if not name.startswith("encoder."):
            groups["head"].append(param)
        elif param.ndim < 2:  # biases and LayerNorm weights are not decayed (BERT recipe)
            groups["encoder_no_decay"].append(param)
        else:
            groups["encoder_decay"].append(param)
    return torch.optim.AdamW(
        [
            {
                "params": groups["encoder_decay"],
                "lr": args.learning_rate,
                "weight_decay": args.weight_decay,
            },
            {"params": groups["encoder_no_decay"], "lr": args.learning_rate, "weight_decay": 0.0},
            {
                "params": groups["head"],
                "lr": args.head_learning_rate,
                "weight_decay": args.weight_decay,
            },
        ],
        # One fused kernel for all parameters (bf16 training only, so that fp32 training gives
        # the same weights as before it existed).
        **({"fused": True} if args.precision == "bf16" else {}),
    )


def _write_checkpoint(net, folder: Path, record: dict) -> None:
    from safetensors.torch import save_model

    folder.mkdir(parents=True, exist_ok=True)
    save_model(net, str(folder / "best.safetensors"))
    (folder / "best.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
