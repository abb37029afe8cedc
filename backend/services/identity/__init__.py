"""People and enterprises as the unified identity provider vouches for them, their masked and
encrypted numbers, agent authority and the data-access log. Modules: accounts, identifiers, codes
(一人一码 / 一企一码), privacy (PII vault), pii_rotation (re-encrypting under a new key)."""
