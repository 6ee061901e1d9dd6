"""The benchmark harness (`make bench` = `python -m bench`).

- `bench.generate`: a national-scale-shaped data set (schools, teachers, employments,
  business accounts, plans, the demo cycle's roster snapshot), also a command of its own.
- `bench.bare`: the baseline endpoint (one query, one small template).
- `bench.wsgi_bench`: the production app plus the baseline blueprint and a per-request
  SQL statement counter; what gunicorn serves during a run.
- `bench.harness`: one whole run (fresh PostgreSQL database, gunicorn, wrk in a second
  process, figures, tear-down).
"""
