"""The local worker pool: starts, watches, recycles and stops worker processes.

``pool.LocalPool`` is what the GUI and ``contact360 worker`` run;
``process.run_worker_process`` is the body of each spawned worker process;
``command.worker_command`` builds the command line that spawns one.
"""
