"""``netpol-console bench``: the console measured on a seeded copy of the embedded cluster.

``scale`` says what is seeded (pure builders), ``stats`` how timings are summarised, ``html`` how
a form is read the way a browser posts it, ``load`` drives wrk and concurrent editors, and
``live`` runs the whole measurement: the upstream control plane started with raised client QPS
limits, seeded through the API server, a real console process serving it over HTTP, each
measurement taken after a warm-up, and the same lists read straight from the API server through
kubernetes-asyncio for comparison. ``report`` holds what a run found, ``growth`` how the figures
grow over ``--steps``, ``doc`` writes them as Markdown with a plot (``--write-doc``).
"""

# The PostgreSQL server of ``--database postgres`` (trust auth, as tests/postgres.sh sets it up).
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
