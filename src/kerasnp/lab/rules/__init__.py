"""The fitting lab's rules: each one reads the evidence and fires a `Finding` or not.

A rule returns a `Finding` when it fires, None when it ran and found nothing,
and raises `Skip` (with the reason) when the run lacks the data it needs.
Rules are grouped by the verdict they support (the first part of their
name), one module each: `diverged`, `unstable`, `overfitting`,
`underfitting`, and `progress` (`too_short`, `still_improving`, and the
`good_fit` fallback); the ``flag.*`` rules in `flags.py` support none and
add context to any verdict. `RULES`, here, lists them all in the order they
run; docs/lab-rules.md explains each one.
"""

from __future__ import annotations

from .. import flags
from .diverged import (
    diverged_above_chance,
    diverged_above_start,
    diverged_collapsed,
    diverged_loss_rise,
    diverged_non_finite,
)
from .overfitting import overfitting_high_variance, overfitting_val_rise
from .progress import good_fit, still_improving, too_short
from .underfitting import (
    underfitting_bias,
    underfitting_not_learning,
    underfitting_vs_baseline,
    underfitting_vs_chance,
)
from .unstable import unstable_train_spikes, unstable_val_swings

__all__ = ["RULES", "good_fit"]

#: (rule name, function), in the order they run. The verdict each supports is
#: the first part of its name; see diagnose.PRIORITY for how verdicts combine.
RULES = [
    ("diverged.non_finite", diverged_non_finite),
    ("diverged.loss_rise", diverged_loss_rise),
    ("diverged.above_start", diverged_above_start),
    ("diverged.above_chance", diverged_above_chance),
    ("diverged.collapsed", diverged_collapsed),
    ("too_short.epochs", too_short),
    ("unstable.train_spikes", unstable_train_spikes),
    ("unstable.val_swings", unstable_val_swings),
    ("overfitting.val_rise", overfitting_val_rise),
    ("overfitting.high_variance", overfitting_high_variance),
    ("underfitting.not_learning", underfitting_not_learning),
    ("underfitting.vs_chance", underfitting_vs_chance),
    ("underfitting.vs_baseline", underfitting_vs_baseline),
    ("underfitting.bias", underfitting_bias),
    ("still_improving.trend", still_improving),
    ("flag.no_validation", flags.flag_no_validation),
    ("flag.stopped_early", flags.flag_stopped_early),
    ("flag.generalization_gap", flags.flag_generalization_gap),
    ("flag.val_below_train", flags.flag_val_below_train),
    ("flag.noisy_validation", flags.flag_noisy_validation),
    ("flag.saturated_early", flags.flag_saturated_early),
    ("flag.metric_disagrees", flags.flag_metric_disagrees),
    ("flag.init_loss_high", flags.flag_init_loss_high),
    ("flag.learning_rate_changed", flags.flag_learning_rate_changed),
]
