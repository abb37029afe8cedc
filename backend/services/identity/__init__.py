"""People and enterprises as the identity provider vouches for them, masked and encrypted numbers, agents.
Modules: accounts, identifiers, codes (一人一码 / 一企一码), privacy (PII vault), pii_rotation."""
