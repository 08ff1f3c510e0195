"""Intake benchmark: duban under many enterprises and liaisons at once, against an echo bot.

Run ``python -m benchmarks.intake`` (``--help`` for the options; benchmarks/README.md explains
every figure). Three processes take part, so the bot's figures are its own:

* the emulator (``sandbox.server.SandboxServer``, its rate limits off) in one child process;
* the bot under test in another child process (``bots``): first the real duban Application,
  then a minimal PTB echo bot with the same builder options, each against a fresh emulator
  with the same personas;
* the load generator in this process (``load``): simulated users send commands over the
  emulator's user-side API (``sandbox.client``), either closed-loop (at most ``--concurrency``
  messages unanswered at a time) or open-loop (``--rate N``: Poisson arrivals, N a second,
  whatever the answers).

The workload per case is ``/report <category> <description>`` by an enterprise contact,
``/dispatch <case> <dept>`` by a dispatch desk, then ``/ack <assignment>`` and
``/done <assignment> <result>`` by the department's liaison (``scripts``).

Latency is measured on the emulator's clock: the time it stored the user's message to the
time it stored the bot's answer in that chat.
"""
