"""The fitting lab: read learning curves, say whether a model under- or overfits, show it.

    from kerasnp.lab import diagnose, render_terminal, write_report

    d = diagnose(history, num_classes=10)      # a History, dict, CSV or JSON path
    print(d)                                    # verdict, evidence, suggestions
    print(render_terminal(d))                   # the curves as Unicode text
    write_report("report.html", d)              # one offline HTML file

    # log the training loss in inference mode (eval_loss) while training
    model.fit(x, y, validation_split=0.2, callbacks=[TrainingEval(x[:48000], y[:48000])])

The command line (`kerasnp lab`, `kerasnp train`, ...) lives in `kerasnp.lab.cli`.

The rules, their thresholds and the order in which verdicts win are
explained in docs/lab-rules.md; every threshold lives in
`kerasnp.lab.thresholds`.
"""

from .callbacks import TrainingEval
from .curves import LearningCurves
from .diagnose import HEADLINES, PRIORITY, VERDICTS, Diagnosis, diagnose
from .findings import Finding
from .history_io import load_history, save_history
from .plots import figure_png, has_matplotlib, plot_comparison, plot_history
from .report import ReportRun, render_report, write_report
from .suggestions import Suggestion
from .terminal import chart, render_terminal, sparkline
from .thresholds import Thresholds

__all__ = [
    "HEADLINES",
    "PRIORITY",
    "VERDICTS",
    "Diagnosis",
    "Finding",
    "LearningCurves",
    "ReportRun",
    "Suggestion",
    "Thresholds",
    "TrainingEval",
    "chart",
    "diagnose",
    "figure_png",
    "has_matplotlib",
    "load_history",
    "plot_comparison",
    "plot_history",
    "render_report",
    "render_terminal",
    "save_history",
    "sparkline",
    "write_report",
]
