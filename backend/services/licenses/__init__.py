"""电子证照: issuing on approval, who sees which license, status changes, 亮证 and verifying.
Modules: registry (issuing, reads, status), identifiers (MOD 37,36), kinds (types), presentation."""
