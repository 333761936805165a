"""Every number the fitting lab's rules compare against, in one place.

Each constant below is followed by its docstring: what it measures, where the
default comes from (the survey in ``shared/reference/diagnosis-anchors.md``:
SageMaker Debugger, trainproof, deepchecks, Keras/Lightning/fastai callbacks,
Prechelt's early-stopping paper, Ng's bias/variance rules, the Deep Learning
Tuning Playbook), and what calibration should look at.

To calibrate, change a constant here, or pass a modified copy of the defaults
to `diagnose` without touching the module::

    from kerasnp.lab import Thresholds, diagnose
    strict = Thresholds().replace(overfit_mild_rise=0.03)
    diagnose(history, thresholds=strict)

`describe()` lists every constant with its value and docstring (the report
prints it, and the docs table was written from it).

Units: "of scale" means a fraction of the loss scale `S` (``ln K`` for K-class
cross-entropy, else the first-epoch training loss); "relative" means a
fraction of the series' own level; epochs and evaluation counts are integers.

Example:
    >>> from kerasnp.lab import thresholds
    >>> thresholds.MIN_EPOCHS
    5
    >>> thresholds.Thresholds().replace(min_epochs=8).min_epochs
    8
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import sys

from .._errors import unexpected_keywords

# ---------------------------------------------------------------------------
# Evidence windows and noise
# ---------------------------------------------------------------------------

MIN_EPOCHS = 5
"""Fewer epochs than this gives the verdict `too_short` (unless the run diverged).

Anchors P4 ("no verdict before 5 epochs, except diverged"). A curve of four
points has no recent window separate from its start, so trends and plateaus
cannot be told apart from the first fast drop.
"""

MIN_VAL_POINTS = 4
"""Validation evaluations needed before the overfitting rules may fire.

trainproof's TP-OVERFIT needs >= 4 evaluation points. With `validation_freq`
> 1 this counts evaluations, not epochs.
"""

WINDOW_FRACTION = 0.2
"""The recent window is the last ``max(MIN_WINDOW, ceil(WINDOW_FRACTION * n))`` points.

Anchors P2 (``W = max(3, ceil(0.2 * epochs))``). Slopes, plateaus and the
"still improving" test look only at this window.
"""

MIN_WINDOW = 3
"""Smallest recent window (points); a slope needs at least three."""

NOISE_Z = 2.0
"""A change counts only when it exceeds ``NOISE_Z`` times the noise of the series.

The noise is ``1.4826 * MAD`` of the first differences after the first
quarter of the run (anchors P3, a robust standard deviation of one
epoch-to-epoch step; the early fast drop is left out). 2 is the anchors'
"2 sigma"; raise it if calibration shows false alarms on small, noisy
validation sets.
"""

MIN_CHANGE_OF_SCALE = 0.01
"""A change must also exceed 1% of the loss scale ``S`` to count (absolute floor).

Anchors P3 generalise Keras's absolute ``min_delta`` with a relative tolerance.
Relative changes explode near zero (a training loss going 0.001 -> 0.003 is
"3x" but means nothing), so the floor is tied to ``S = ln K``: 0.023 nats for
10 classes. Checked on real MNIST runs: late Adam noise on a nearly-zero
training loss stays below it, learning-rate instability does not.
"""

# ---------------------------------------------------------------------------
# diverged
# ---------------------------------------------------------------------------

DIVERGE_RISE_FACTOR = 1.5
"""Diverged when the final training loss is at least 1.5x its minimum ...

trainproof TP-DIVERGE (end > 1.5x the lowest loss). Combined with
`DIVERGE_MIN_RISE_OF_SCALE` so that 0.001 -> 0.002 does not count.
"""

DIVERGE_MIN_RISE_OF_SCALE = 0.1
"""... and the rise from the minimum is at least 10% of the loss scale.

Our own guard (not in the anchors). On a real MNIST run with Adam at lr=0.03
the training loss ended at 0.17 after a minimum of 0.012 (14x, but 7% of
ln 10): that run oscillates and recovers, so it is `unstable`, not `diverged`.
A blow-up back to chance level (rise ~ ln K) is far above this floor.
"""

DIVERGE_CHANCE_FACTOR = 1.5
"""Diverged when the final training loss is above 1.5x the chance loss ``ln K``.

A K-class model predicting uniformly scores ``ln K``; ending far above it
means confident wrong predictions, the signature of weights that blew up
(a real SGD lr=3 MNIST run ended at 14.7 = 6.4 ln K with finite values, since
Keras clips probabilities at 1e-7). Needs the number of classes.
"""

# ---------------------------------------------------------------------------
# unstable
# ---------------------------------------------------------------------------

UNSTABLE_REL_RISE = 0.10
"""An epoch-to-epoch rise of the training loss by more than 10% of its level is a spike.

Anchors V3 ("> 10% of the loss"); also subject to the noise floor
(`NOISE_Z`, `MIN_CHANGE_OF_SCALE`).
"""

UNSTABLE_MIN_SPIKES = 2
"""At least this many training-loss spikes make a run `unstable` ...

One spike can be a bad batch order; two or more are the Playbook's "loss goes
up, not down, during periods" and CS231n's "wiggle".
"""

UNSTABLE_SPIKE_FRACTION = 0.1
"""... and at least this fraction of the epoch-to-epoch steps (long runs need more spikes).

Anchors V3 count rising epochs in the last window (30%); we count over the
whole run, so a lower fraction. Needed spikes =
``max(UNSTABLE_MIN_SPIKES, ceil(UNSTABLE_SPIKE_FRACTION * (n - 1)))``.
"""

EXPLODE_FACTOR = 4.0
"""A single epoch whose training loss exceeds 4x its running best is unstable by itself.

fastai's ``lr_find`` and Lightning's LR finder stop at 4x the best loss. If the
loss does not come back, `diverged` fires instead.
"""

EXPLODE_MIN_RISE_OF_SCALE = 0.1
"""... and only when that jump is also at least 10% of the loss scale (0.23 nats for 10 classes).

Calibration on kerasnp MNIST runs (docs/lab-rules.md, section 7): late in an
Adam run the training loss sits near 0.001-0.04, and a single transient jump
to 5-10x that (0.03-0.16 nats, back down within two epochs) happened in two
well-behaved 512-unit MNIST 3k runs; without this floor each was called
`unstable`.
"""

VAL_SPIKE_REL = 0.25
"""A validation-loss rise above 25% of its level that is undone afterwards is an oscillation.

Validation loss is measured at the end of each epoch in inference mode, so it
shows the learning-rate zigzag that the epoch-averaged training loss smooths
away. 25% is above the epoch-to-epoch noise of a 200-sample MNIST validation
set (about 10%) and below the swings of an Adam lr=0.03 run (30-70%).
"""

UNSTABLE_MIN_VAL_SWINGS = 2
"""Validation swings (rise then fall, each beyond `VAL_SPIKE_REL`) needed for `unstable`."""

# ---------------------------------------------------------------------------
# overfitting
# ---------------------------------------------------------------------------

OVERFIT_MILD_RISE = 0.05
"""Overfitting when validation loss rose at least 5% above its minimum ...

Prechelt's generalisation loss ``GL = val_last / val_min - 1``; 5% is the
anchors' "mild" level and deepchecks BoostingOverfit's 5% decline.
"""

OVERFIT_SEVERE_RISE = 0.20
"""... 20% is "severe", and is accepted with a shorter wait (`OVERFIT_SEVERE_MIN_SINCE`).

trainproof TP-OVERFIT warns at eval loss > 1.2x its own minimum.
"""

OVERFIT_MIN_PATIENCE = 3
"""Evaluations after the best one before a mild rise counts (Lightning's EarlyStopping patience 3).

The patience grows with long runs: ``max(OVERFIT_MIN_PATIENCE,
ceil(OVERFIT_PATIENCE_FRACTION * n_val))`` (anchors V4).
"""

OVERFIT_PATIENCE_FRACTION = 0.1
"""Patience as a fraction of the number of validation evaluations (anchors V4)."""

OVERFIT_SEVERE_MIN_SINCE = 2
"""Evaluations after the best one before a severe (>= 20%) rise counts."""

OVERFIT_MIN_VARIANCE = 0.05
"""High variance: validation error exceeds training error by 5 points or more ...

Ng (Machine Learning Yearning): variance = dev error - train error; his
"1% / 11%" example is high variance, "0.5% / 1%" is fine. Needs an accuracy
metric; uses the error at the best validation epoch (the model
EarlyStopping would keep). Real MNIST runs on 1-10k images sit at 5-13 points
and do gain from more data or regularisation.
"""

# ---------------------------------------------------------------------------
# underfitting
# ---------------------------------------------------------------------------

NOT_LEARNING_MIN_IMPROVEMENT = 0.05
"""Not learning: the training loss improved by less than 5% from the first to the last epochs.

trainproof TP-DEAD-RUN (median of the last 5 vs the first 5 improved < 5%).
Measured on the running-mean loss when logged: its first epoch includes the
first batches, which sit at the loss at initialisation.
"""

NOT_LEARNING_CHANCE_FRACTION = 0.9
"""Not learning: the final training loss is still at 90% of ``ln K`` or above.

Karpathy and CS231n: the loss at initialisation is ``ln K``; a model that has
not moved from it has not learned (anchors V2).
"""

NOT_LEARNING_MIN_ACCURACY_GAIN = 0.1
"""Not learning: training accuracy closes less than 10% of the way from chance (1/K) to 1.

deepchecks' gain over a naive model, ``(m - m0) / (m* - m0) < 0.1``.
"""

UNDERFIT_CHANCE_FRACTION = 0.5
"""Underfitting: the plateaued training loss is still above half of ``ln K`` (anchors V5)."""

UNDERFIT_MIN_BASELINE_GAIN = 0.1
"""Underfitting: the network removes less than 10% of a linear model's training loss.

A hidden layer can represent everything softmax regression can, so on its own
training data it must do clearly better; gain =
``(baseline_train_loss - train_loss) / baseline_train_loss`` (deepchecks
SimpleModelComparison's gain threshold 0.1).
"""

UNDERFIT_MIN_BIAS = 0.05
"""Underfitting: avoidable bias (train - target error) of 5 points or more, above the variance.

Ng's rule (15% / 16% with a ~0% target is high bias). Only checked when a
target error is known (``baseline={"target_error": ...}``), because the
Bayes error of an arbitrary dataset is not 0.
"""

PLATEAU_REL_SLOPE = 0.02
"""A training curve has plateaued when it falls by less than 2% of its level per epoch.

Anchors V5 say 1%/epoch; on real MNIST runs a 2-unit hidden layer was still
losing 1.2%/epoch at epoch 30 while obviously capacity-bound, so 2%. The
underfitting rules need a plateau; a curve still falling faster goes to
`still_improving` ("train longer" first).
"""

# ---------------------------------------------------------------------------
# still improving
# ---------------------------------------------------------------------------

STILL_IMPROVING_MIN_DROP = 0.01
"""Still improving: the loss fell by more than 1% of its level over the recent window.

Anchors V6 (drop over the window > max(2 sigma, 1%)), plus the best point
must lie in that window (the Playbook's "still improving at the end").
"""

# ---------------------------------------------------------------------------
# flags (shown with any verdict)
# ---------------------------------------------------------------------------

GAP_RATIO = 0.1
"""Flag a generalisation gap when ``(val_loss - train_loss) / train_loss`` exceeds 0.1.

SageMaker Debugger's Overfit rule default. Shown as a risk, not a verdict: the
ratio explodes as the training loss goes to zero.
"""

VAL_BELOW_TRAIN_FRACTION = 0.8
"""Flag when validation loss is below training loss at 80% of the evaluations or more.

rstudio's learning-curve notes ("val < train throughout"); the Keras FAQ
explains the usual, harmless reason.
"""

NOISY_VAL_REL = 0.1
"""Flag a noisy validation curve when its step noise exceeds 10% of its level.

Anchors F3. A 200-image MNIST validation set shows about 3-9%.
"""

SATURATED_EARLY_FRACTION = 0.5
"""Flag a best validation epoch in the first half of the run (Playbook: train shorter)."""

INIT_LOSS_FACTOR = 1.5
"""Flag an epoch-1 training loss above 1.5x ``ln K`` (Karpathy: check the loss at init).

The running mean over epoch 1 should not exceed the loss at initialisation.
Higher means confident wrong starts, mismatched labels and loss, unscaled
inputs, or a large regularisation penalty (the loss includes it).
"""

# ---------------------------------------------------------------------------
# suggestions
# ---------------------------------------------------------------------------

SUGGEST_L2 = (3e-4, 1e-3)
"""L2 factors suggested for mild / severe overfitting (the first suggestion of an overfitting run).

The anchors' table and the Keras examples use 1e-4 / 1e-3. Calibrated on
kerasnp MNIST and Fashion-MNIST MLPs (docs/lab-rules.md, section 7): with
1e-4 the validation loss still ended 8-19% above its best in 4 of 5 runs;
3e-4 (3 runs) and 1e-3 (5 runs) kept it within the noise; 1e-2 underfitted
in 4 of 5. Hence 3e-4 for a mild rise.
"""

SUGGEST_DROPOUT = (0.3, 0.5)
"""Dropout rates suggested for mild / severe overfitting (Srivastava et al.: 0.5 in hidden layers).

The anchors said 0.2 / 0.3. On the calibration runs Dropout(0.3) after a
512-unit layer never stopped the validation loss from rising (5 runs) and
Dropout(0.5) did in 1 of 5, so the suggested rates are the larger ones and
Dropout comes after L2.
"""

SUGGEST_LR_FACTOR_UNSTABLE = 0.3
"""Learning-rate factor suggested for an unstable run (anchors: LR x0.3)."""

SUGGEST_LR_FACTOR_DIVERGED = 0.1
"""Learning-rate factor suggested for a diverged run (anchors: LR / 10)."""


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """All thresholds as one value, for calibration and for `diagnose(thresholds=...)`.

    Field names are the module constants in lower case; the defaults are the
    constants' values at import time.
    """

    min_epochs: int = MIN_EPOCHS
    min_val_points: int = MIN_VAL_POINTS
    window_fraction: float = WINDOW_FRACTION
    min_window: int = MIN_WINDOW
    noise_z: float = NOISE_Z
    min_change_of_scale: float = MIN_CHANGE_OF_SCALE
    diverge_rise_factor: float = DIVERGE_RISE_FACTOR
    diverge_min_rise_of_scale: float = DIVERGE_MIN_RISE_OF_SCALE
    diverge_chance_factor: float = DIVERGE_CHANCE_FACTOR
    unstable_rel_rise: float = UNSTABLE_REL_RISE
    unstable_min_spikes: int = UNSTABLE_MIN_SPIKES
    unstable_spike_fraction: float = UNSTABLE_SPIKE_FRACTION
    explode_factor: float = EXPLODE_FACTOR
    explode_min_rise_of_scale: float = EXPLODE_MIN_RISE_OF_SCALE
    val_spike_rel: float = VAL_SPIKE_REL
    unstable_min_val_swings: int = UNSTABLE_MIN_VAL_SWINGS
    overfit_mild_rise: float = OVERFIT_MILD_RISE
    overfit_severe_rise: float = OVERFIT_SEVERE_RISE
    overfit_min_patience: int = OVERFIT_MIN_PATIENCE
    overfit_patience_fraction: float = OVERFIT_PATIENCE_FRACTION
    overfit_severe_min_since: int = OVERFIT_SEVERE_MIN_SINCE
    overfit_min_variance: float = OVERFIT_MIN_VARIANCE
    not_learning_min_improvement: float = NOT_LEARNING_MIN_IMPROVEMENT
    not_learning_chance_fraction: float = NOT_LEARNING_CHANCE_FRACTION
    not_learning_min_accuracy_gain: float = NOT_LEARNING_MIN_ACCURACY_GAIN
    underfit_chance_fraction: float = UNDERFIT_CHANCE_FRACTION
    underfit_min_baseline_gain: float = UNDERFIT_MIN_BASELINE_GAIN
    underfit_min_bias: float = UNDERFIT_MIN_BIAS
    plateau_rel_slope: float = PLATEAU_REL_SLOPE
    still_improving_min_drop: float = STILL_IMPROVING_MIN_DROP
    gap_ratio: float = GAP_RATIO
    val_below_train_fraction: float = VAL_BELOW_TRAIN_FRACTION
    noisy_val_rel: float = NOISY_VAL_REL
    saturated_early_fraction: float = SATURATED_EARLY_FRACTION
    init_loss_factor: float = INIT_LOSS_FACTOR
    suggest_l2: tuple = SUGGEST_L2
    suggest_dropout: tuple = SUGGEST_DROPOUT
    suggest_lr_factor_unstable: float = SUGGEST_LR_FACTOR_UNSTABLE
    suggest_lr_factor_diverged: float = SUGGEST_LR_FACTOR_DIVERGED

    def replace(self, **changes) -> Thresholds:
        """A copy with some thresholds changed (unknown names raise, with a suggestion)."""
        names = [f.name for f in dataclasses.fields(self)]
        unknown = {k: v for k, v in changes.items() if k not in names}
        if unknown:
            raise unexpected_keywords("Thresholds", unknown, names)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The thresholds as a JSON-able dict."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }


DEFAULT = Thresholds()


def describe() -> list[tuple[str, object, str]]:
    """``(NAME, value, docstring)`` for every threshold, in the order of this file."""
    source = inspect.getsource(sys.modules[__name__])
    body = ast.parse(source).body
    out = []
    for node, after in zip(body, body[1:], strict=False):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.isupper()
            and node.targets[0].id != "DEFAULT"
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            name = node.targets[0].id
            out.append((name, globals()[name], inspect.cleandoc(after.value.value)))
    return out
