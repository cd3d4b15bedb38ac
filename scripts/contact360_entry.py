"""Entry script of the frozen application (see build.spec).

``multiprocessing.freeze_support()`` must run before anything else: a frozen child started by
multiprocessing re-executes this file and has to be diverted into the child's bootstrap here.
Everything else (GUI, sub-commands such as ``worker``, ``--selftest``) is the normal CLI.
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()

    from contact360_desktop.cli import main

    raise SystemExit(main())
