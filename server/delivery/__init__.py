"""Delivery: messages to departments, generic over what they are about.

- `outbox.enqueue`: a message written in the caller's transaction (transactional outbox),
  always landing in the receiving department's in-app inbox (`inbox`);
- `endpoints`, `webhooks`: optional Standard Webhooks endpoints per department, signed POSTs;
- `worker` (`flask --app wsgi worker`): at-least-once delivery with leases and retries, plus the
  periodic jobs features register (`jobs`);
- `messages`: the sender's view of its messages and their attempts; `outbox.register_subject`:
  the authenticated, audited fetch of a message's subject by the receiver;
- `api` (`/api/v1/delivery`), `cli` (`flask delivery …`, `flask worker`).

It imports no domain feature: leads (and any later feature) register subjects and jobs.
See docs/delivery.md.
"""
