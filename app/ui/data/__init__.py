"""The data panel: dataset source, split, normalisation, shapes, class balance and preview.

The panel lives in app.ui.data.panel; this package imports nothing, so that using its worker
(app.ui.data.worker) does not load the panel and pyqtgraph.
"""
