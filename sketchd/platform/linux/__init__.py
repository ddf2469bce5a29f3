"""Linux only: V4L2 and v4l2loopback (``v4l2``, ``v4l2out``, ``loopback``, ``readers``,
``module``), PipeWire (``pipewire``), the desktop session (``desktop``) and glibc's allocator
(``malloc``). Imported only where ``sketchd.platform.is_linux()`` holds, or for its constants."""
