"""The settings window (`sketchd settings`, the tray's "Settings…"): a separate process that
talks to the running daemon over the control channel only, never to the camera.

- controls.py: each filter parameter's control, generated from the registry's typed Params;
- model.py: the window's state and what each click asks of the daemon (no Tk);
- yamledit.py: saving a preset into the user's file in place (comments and order kept);
- frames.py: the daemon's preview replies made into pictures;
- single.py: one window per user (a second call raises the first);
- view.py, widgets.py: the Tk/ttk window on top of the model, nothing else.
"""
