"""Callbacks: code that runs at fixed points of `fit`, `evaluate` and `predict`."""

from .. import _keras_names
from .._errors import missing_names
from .backup_and_restore import BackupAndRestore
from .callback import Callback, CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .history import History
from .lambda_callback import LambdaCallback
from .learning_rate_scheduler import LearningRateScheduler
from .model_checkpoint import ModelCheckpoint
from .monitor import MonitorCallback
from .progbar_logger import ProgbarLogger
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]


# `callbacks.TensorBoard` and the like: say it is a Keras callback kerasnp lacks
__getattr__ = missing_names(__name__, "callback", __all__,
                            _keras_names.CALLBACKS)
