"""Sessions sent to a server the person names, when they run `calmflow sync`: the
one way anything leaves the machine other than a file they export.

The modules: `client` (a small JSON client on the standard library: https
verified, a timeout on every request, one line for each failure), `keys` (API
keys kept in a private file), `babybuddy` (what is sent to Baby Buddy, once,
kept up to date, never doubled).
"""
