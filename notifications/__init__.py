"""Web push (RFC 8030/8291/8292): the fast path on top of the inbox.

The inbox row (backend/services/notifications/inbox.py) is written with its cause; this package
carries it to people's devices in the background, never in a request:

- `dispatcher` claims notifications whose time has come (the outbox), applies the person's
  preferences and quiet hours, records one `PushDelivery` per device and kicks a job for it;
- `jobs` sends one delivery (bounded retries honouring Retry-After, expiry on 404/410, a
  final state recorded), safe to run twice;
- `broker` is taskiq: Redis streams when REDIS_URL is set, in memory otherwise;
- `worker` runs all of it: inside the server in the embedded default, or as
  `python -m backend worker`.
"""
