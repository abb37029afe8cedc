"""The PWA's two languages stay complete (issue 14): every key in both, the same placeholders,
every key the code uses exists, and no user-facing Chinese is written into components."""

from __future__ import annotations

import json
import re
from pathlib import Path

FRONTEND = Path(__file__).resolve().parents[1] / "frontend" / "src"
LOCALES = FRONTEND / "locales"
LANGUAGES = ("zh-CN", "en")
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# t('a.b'), $t("a.b"), te('a.b'), i18n-t keypath="a.b", titleKey: 'a.b', labelKey: 'a.b'
USED_KEY = re.compile(r"""(?:\$?\bt|\bte|\btc)\(\s*['"]([\w-]+(?:\.[\w-]+)+)['"]|keypath=['"]([\w.-]+)['"]|\w+Key:\s*['"]([\w-]+(?:\.[\w-]+)+)['"]""")

# Files not yet moved to messages. This list only shrinks: a file leaves it when its texts are in
# src/locales, and the test fails if a listed file has no Chinese left (take it off the list).
UNCONVERTED: set[str] = {
    "api/bookings.js",
    "api/callbacks.js",
    "api/cases.js",
    "api/graphql.js",
    "api/identity.js",
    "api/licenses.js",
    "api/notifications.js",
    "api/ratings.js",
    "components/ElderChoice.vue",
    "components/IdentityCodeCard.vue",
    "components/ReadAloud.vue",
    "components/RoleGate.vue",
    "components/apply/ApplicantPicker.vue",
    "components/apply/ApplyDone.vue",
    "components/apply/ApplyReview.vue",
    "components/apply/DeficiencyPromise.vue",
    "components/apply/FieldsEditor.vue",
    "components/apply/FileUploader.vue",
    "components/apply/MaterialCard.vue",
    "components/apply/MissingNotice.vue",
    "components/bookings/EnterpriseBookings.vue",
    "components/bookings/bookingLook.js",
    "components/cases/CaseCell.vue",
    "components/cases/CaseDeadline.vue",
    "components/cases/CaseMaterials.vue",
    "components/cases/CaseOutcome.vue",
    "components/cases/CaseSummary.vue",
    "components/cases/CaseTimeline.vue",
    "components/cases/EnterpriseCases.vue",
    "components/cases/FileLink.vue",
    "components/cases/LiveBadge.vue",
    "components/cases/StaffActionForm.vue",
    "components/cases/StaffActions.vue",
    "components/cases/SupplementForm.vue",
    "components/cases/WithdrawButton.vue",
    "components/help/HelpButton.vue",
    "components/help/HelpSheet.vue",
    "components/licenses/DiscloseChooser.vue",
    "components/licenses/EnterpriseLicenses.vue",
    "components/licenses/LicenseCard.vue",
    "components/licenses/LicenseDisplay.vue",
    "components/licenses/PresentationQr.vue",
    "components/licenses/RecentVerifications.vue",
    "components/licenses/VerificationCells.vue",
    "components/licenses/licenseLook.js",
    "components/licenses/verifyLook.js",
    "components/ratings/CaseRating.vue",
    "components/ratings/ItemSatisfaction.vue",
    "components/ratings/RatingQuickRow.vue",
    "components/ratings/RatingSheet.vue",
    "components/ratings/TicketCard.vue",
    "lib/auth.js",
    "lib/caseStatus.js",
    "lib/drafts.js",
    "lib/elder.js",
    "lib/format.js",
    "lib/profile.js",
    "lib/push.js",
    "lib/pwa.js",
    "lib/useLoad.js",
    "lib/usePaged.js",
    "sw.js",
    "views/AccessLogView.vue",
    "views/ApplyView.vue",
    "views/BookView.vue",
    "views/BookingView.vue",
    "views/CaseView.vue",
    "views/EnterpriseView.vue",
    "views/InboxView.vue",
    "views/ItemView.vue",
    "views/LicenseVerificationsView.vue",
    "views/LicenseView.vue",
    "views/LicensesView.vue",
    "views/MeView.vue",
    "views/MyBookingsView.vue",
    "views/MyCallbacksView.vue",
    "views/MyCasesView.vue",
    "views/NoticeView.vue",
    "views/NotificationSettingsView.vue",
    "views/RatingDashboardView.vue",
    "views/SearchView.vue",
    "views/SignInCallbackView.vue",
    "views/StaffBookingsView.vue",
    "views/StaffCallbacksView.vue",
    "views/StaffCaseView.vue",
    "views/StaffLicensesView.vue",
    "views/StaffQueueView.vue",
    "views/StaffTicketsView.vue",
    "views/SupervisionView.vue",
    "views/TicketView.vue",
    "views/VerifyView.vue",
}


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            assert isinstance(value, str), f"{prefix}{key}: messages are strings"
            flat[f"{prefix}{key}"] = value
    return flat


def _messages(language: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    for path in sorted((LOCALES / language).glob("*.json")):
        flat.update(_flatten(json.loads(path.read_text(encoding="utf-8")), f"{path.stem}."))
    return flat


# Each language's own name, shown in that language whatever the current one is.
ENDONYMS = {"lib/i18n.js"}


def _sources() -> list[Path]:
    return sorted(p for p in FRONTEND.rglob("*") if p.suffix in {".vue", ".js"} and LOCALES not in p.parents)


def _without_comments(text: str) -> str:
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    # `//` comments, but not inside strings or URLs (https://…)
    return "\n".join(re.sub(r"(^|[\s;{}(),])//.*$", r"\1", line) for line in text.splitlines())


def test_both_languages_have_the_same_keys() -> None:
    zh, en = _messages("zh-CN"), _messages("en")
    assert zh, "no Chinese messages found"
    assert sorted(set(zh) - set(en)) == [], "missing in English"
    assert sorted(set(en) - set(zh)) == [], "missing in Chinese"


def test_both_languages_have_the_same_placeholders() -> None:
    zh, en = _messages("zh-CN"), _messages("en")
    differ = {key: (zh[key], en[key]) for key in zh.keys() & en.keys()
              if set(PLACEHOLDER.findall(zh[key])) != set(PLACEHOLDER.findall(en[key]))}
    assert differ == {}


def test_no_empty_messages() -> None:
    for language in LANGUAGES:
        assert [key for key, value in _messages(language).items() if not value.strip()] == [], language


def test_english_messages_are_english() -> None:
    # Chinese is allowed in English only beside its translation ("Acceptance notice (受理通知书)"),
    # never alone.
    alone = [key for key, value in _messages("en").items() if CJK.search(value) and not re.search(r"[A-Za-z]", value)]
    assert alone == []


def test_every_key_the_code_uses_exists() -> None:
    known = _messages("zh-CN").keys() & _messages("en").keys()
    missing: list[str] = []
    for path in _sources():
        for match in USED_KEY.finditer(path.read_text(encoding="utf-8")):
            key = next(group for group in match.groups() if group)
            if key not in known and not any(k.startswith(key + ".") for k in known):
                missing.append(f"{path.relative_to(FRONTEND)}: {key}")
    assert missing == []


def test_no_chinese_literals_in_components() -> None:
    found: dict[str, list[str]] = {}
    for path in _sources():
        name = str(path.relative_to(FRONTEND))
        if name in ENDONYMS:
            continue
        lines = [f"{number}: {line.strip()[:80]}" for number, line in
                 enumerate(_without_comments(path.read_text(encoding="utf-8")).splitlines(), 1) if CJK.search(line)]
        if lines and name not in UNCONVERTED:
            found[name] = lines
        if not lines and name in UNCONVERTED:
            found[name] = ["has no Chinese left: take it off UNCONVERTED"]
    assert found == {}
