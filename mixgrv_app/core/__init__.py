"""The engine of mixgrv: models, generation, datasets, preprocessing, training. Imports no Qt.

Heavy libraries (torch, mlx, peft) are imported inside the functions that need them so that
importing ``mixgrv_app.core.<module>`` for its types stays cheap.
"""
