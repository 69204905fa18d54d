"""LayerLoom: build Keras models as a graph, checked by Keras on every edit."""

import os

# Keras 3 picks its backend at import time; LayerLoom is built on TensorFlow.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
