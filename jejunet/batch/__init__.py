"""`jejunet batch`: one pipeline over many videos, in this process or on a pool of Ray actors.

inputs (expansion, unique names) → driver (plan, resume, chunks) → engine (local or Ray) → task
(one video into a temporary folder, renamed into place) → summary. `graphrun` is the only module
that calls into the graph package.
"""
