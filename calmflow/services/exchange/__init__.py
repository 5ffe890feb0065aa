"""A person's sessions in and out of calmflow: export files, import, and a session
logged by hand.

- JSON is calmflow's own format and loses nothing: every session with every
  field the log holds, its let-downs and its events, under
  {"format": "calmflow-export", "version": 1, "sessions": [...]}. Exported,
  imported into an empty log and exported again, it comes out the same.
- CSV has one row per session, every session as it is: start, end, amount,
  notes, child_id, then calmflow's own columns. It cannot carry each let-down's
  time, phase and cues, nor the session's events: imported, a session keeps
  only how many let-downs it had.
- The Baby Buddy file (`babybuddy`) is for Baby Buddy's pumping import, out
  only: its columns alone, and only rows it takes (times on the importing
  user's clock, amounts in one unit, no overlaps), the sessions of earlier such
  files left out (`store.exports` remembers them).
- Sessions are matched by uuid, so importing a file twice adds nothing twice.
- A file with anything wrong in it is refused whole, with the one place at fault:
  the JSON path (sessions[3].letdowns[0].t_s) or the CSV line and column.
- Only a plain file of at most 64 MB is read (no device, pipe or folder), a
  piece at a time, each session taken in as it is read: memory stays flat.
- A CSV text cell that a spreadsheet would run as a formula is written with a
  leading apostrophe, which calmflow's import takes off again.

Sessions are the one session model, `calmflow.core.records.SessionRecord`, as
`calmflow.store.dump` gives and takes them; every value is checked by it.
The modules: `problems` (what an import says of a file it refuses),
`json_file` and `csv_file` (each format, out and in), `babybuddy` (the Baby
Buddy file), `reading` (a file of either kind), `manual` (a session logged by
hand).
"""
