"""The benchmark harness (`make bench` = `python -m bench`).

- `bench.generate`: a national-scale-shaped data set (schools, teachers, employments,
  business accounts, plans, the demo cycle's roster snapshot), also a command of its own.
- `bench.bare`: the baseline endpoint (one query, one small template).
- `bench.wsgi_bench`: the production app plus the baseline blueprint and a per-request
  SQL statement counter; what gunicorn serves during a run.
- `bench.roster`: the 教師資料 list page and its htmx search on the school of 300
  teachers, signed in as its chief (loaded by bench.harness with the other endpoints).
- `bench.harness`: one whole run (fresh PostgreSQL database, gunicorn, wrk in a second
  process, figures, tear-down).
"""
