"""The catalog over GraphQL: listing, filters, pagination, search, guides, halls."""

from __future__ import annotations

import httpx

from backend.models import Material, ServiceItem
from tests.helpers import gql, gql_data

SEARCH = """
query Search($q: String, $first: Int = 20, $after: String) {
  serviceItems(search: $q, first: $first, after: $after) {
    totalCount
    edges { cursor node { code name highFrequency } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

GUIDE = """
query Guide($code: String!) {
  serviceItem(code: $code) {
    code name itemType itemTypeLabel audience highFrequency isDemo
    department { name itemCount }
    halls { name level address openingHours phone }
    guide {
      basicCode sourceOfPower caseKind caseKindLabel levelExercised implementingBody serviceObject
      intermediaryService fees onSiteVisits promisedDays statutoryDays resultSample officeHours
      consultation location complaintChannel acceptanceConditions legalBasis onlineAddress isDemo
      sampleForms { name url }
      materials { name materialType materialTypeLabel sampleText copies specification electronicRequired
                  blankForm required deficiencyAllowed licenseType { code name } }
      process { order title description }
      faq { question answer }
    }
  }
}"""


async def _search(client: httpx.AsyncClient, q: str, **variables: object) -> list[str]:
    data = await gql_data(client, SEARCH, {"q": q, **variables})
    return [edge["node"]["name"] for edge in data["serviceItems"]["edges"]]


async def test_pinyin_initials_find_teacher_qualification(client: httpx.AsyncClient) -> None:
    assert (await _search(client, "jszg"))[0] == "教师资格认定"


async def test_full_pinyin_finds_teacher_qualification(client: httpx.AsyncClient) -> None:
    assert (await _search(client, "jiaoshizige"))[0] == "教师资格认定"
    assert (await _search(client, "Jiao Shi Zi Ge"))[0] == "教师资格认定"


async def test_chinese_substring_matches_name(client: httpx.AsyncClient) -> None:
    names = await _search(client, "资格认定")
    assert "教师资格认定" in names
    assert "法律职业资格认定" in names


async def test_exact_name_ranks_before_prefix_and_substring(client: httpx.AsyncClient) -> None:
    names = await _search(client, "工伤认定")
    assert names[0] == "工伤认定"


async def test_name_prefix_ranks_before_guide_text(client: httpx.AsyncClient) -> None:
    names = await _search(client, "宗教")
    # every item whose name starts with 宗教 comes before any that only mention it
    starts = [name.startswith("宗教") for name in names]
    assert starts == sorted(starts, reverse=True)
    assert starts[0]


async def test_search_matches_guide_text(client: httpx.AsyncClient) -> None:
    # 普通话水平测试等级证书 is a material of 教师资格认定, not part of its name
    assert "教师资格认定" in await _search(client, "普通话")


async def test_search_with_no_match_is_empty(client: httpx.AsyncClient) -> None:
    data = await gql_data(client, SEARCH, {"q": "zzzzqqq"})
    assert data["serviceItems"] == {
        "totalCount": 0, "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
    }


async def test_search_treats_like_wildcards_literally(client: httpx.AsyncClient) -> None:
    assert await _search(client, "%") == []
    assert await _search(client, "_") == []


async def test_search_too_long_is_a_clear_error(client: httpx.AsyncClient) -> None:
    body = (await gql(client, SEARCH, {"q": "教" * 41})).json()
    assert body["errors"][0]["message"] == "搜索内容不能超过 40 个字"
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "search"}


async def test_pages_walk_the_whole_catalog_without_overlap(client: httpx.AsyncClient) -> None:
    total = await ServiceItem.all().count()
    seen: list[str] = []
    after = None
    while True:
        data = (await gql_data(client, SEARCH, {"q": None, "first": 25, "after": after}))["serviceItems"]
        assert data["totalCount"] == total
        seen += [edge["node"]["code"] for edge in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(seen) == total == len(set(seen))


async def test_page_size_out_of_range_names_the_argument(client: httpx.AsyncClient) -> None:
    for first in (0, -1, 1001):
        body = (await gql(client, SEARCH, {"q": None, "first": first})).json()
        assert body["errors"][0]["message"] == "每页数量须在 1 到 1000 之间"
        assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "first"}


async def test_bad_cursor_is_a_clear_error(client: httpx.AsyncClient) -> None:
    for cursor in ("nonsense", "", "bzotNQ"):
        body = (await gql(client, SEARCH, {"q": None, "after": cursor})).json()
        assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "after"}, cursor


async def test_filters_by_type_department_audience_and_frequency(client: httpx.AsyncClient) -> None:
    query = """query($t: ItemType, $d: ID, $a: Audience, $h: Boolean) {
      serviceItems(itemType: $t, departmentId: $d, audience: $a, highFrequency: $h, first: 1000) {
        totalCount edges { node { itemType audience highFrequency department { id } } } } }"""
    licensing = (await gql_data(client, query, {"t": "LICENSING"}))["serviceItems"]
    assert licensing["totalCount"] >= 14
    assert {edge["node"]["itemType"] for edge in licensing["edges"]} == {"LICENSING"}

    frequent = (await gql_data(client, query, {"h": True}))["serviceItems"]
    assert frequent["totalCount"] >= 12
    assert all(edge["node"]["highFrequency"] for edge in frequent["edges"])

    people = (await gql_data(client, query, {"a": "PERSON"}))["serviceItems"]
    assert {edge["node"]["audience"] for edge in people["edges"]} <= {"PERSON", "BOTH"}

    departments = (await gql_data(client, "{ departments { id name itemCount } }"))["departments"]
    dept = departments[1]
    in_dept = (await gql_data(client, query, {"d": dept["id"]}))["serviceItems"]
    assert in_dept["totalCount"] == dept["itemCount"]
    assert {edge["node"]["department"]["id"] for edge in in_dept["edges"]} == {dept["id"]}


async def test_department_id_that_is_not_a_number_is_a_clear_error(client: httpx.AsyncClient) -> None:
    body = (await gql(client, "{ serviceItems(departmentId: \"abc\") { totalCount } }")).json()
    assert body["errors"][0]["message"] == "部门编号格式不正确"
    assert body["errors"][0]["extensions"]["field"] == "departmentId"


async def test_departments_are_the_hall_departments_with_counts(client: httpx.AsyncClient) -> None:
    departments = (await gql_data(client, "{ departments { id code name itemCount } }"))["departments"]
    names = [d["name"] for d in departments]
    assert names[:2] == ["市发改委", "市教育局"]
    assert sum(d["itemCount"] for d in departments) == await ServiceItem.all().count()


async def test_guide_carries_every_field(client: httpx.AsyncClient) -> None:
    item = await ServiceItem.get(name="教师资格认定")
    data = (await gql_data(client, GUIDE, {"code": item.code}))["serviceItem"]
    assert data["name"] == "教师资格认定"
    assert data["itemType"] == "LICENSING" and data["itemTypeLabel"] == "行政许可"
    assert data["department"]["name"] == "市教育局"
    guide = data["guide"]
    for key, value in guide.items():
        if key not in ("onSiteVisits", "promisedDays", "statutoryDays", "isDemo"):
            assert value not in ("", None, []), key
    assert guide["promisedDays"] <= guide["statutoryDays"]
    names = [m["name"] for m in guide["materials"]]
    assert any("身份证" in name for name in names)
    assert any(m["licenseType"] and m["licenseType"]["code"] == "RESIDENT_ID" for m in guide["materials"])
    assert [step["order"] for step in guide["process"]] == list(range(1, len(guide["process"]) + 1))
    assert data["halls"][0]["name"] == "西安市政务服务中心"


async def test_every_guide_has_materials_process_and_faq(client: httpx.AsyncClient) -> None:
    query = """{ serviceItems(first: 1000) { edges { node { name guide {
        caseKind promisedDays statutoryDays materials { name } process { title } faq { question } } } } } }"""
    edges = (await gql_data(client, query))["serviceItems"]["edges"]
    for edge in edges:
        guide = edge["node"]["guide"]
        assert guide["materials"] and guide["process"] and guide["faq"], edge["node"]["name"]
        assert guide["promisedDays"] <= guide["statutoryDays"]
        if guide["caseKind"] == "IMMEDIATE":
            assert guide["promisedDays"] == 0
        for material in guide["materials"]:
            assert "其他" not in material["name"] and "有关" not in material["name"], material["name"]


async def test_unknown_item_code_is_null(client: httpx.AsyncClient) -> None:
    assert (await gql_data(client, GUIDE, {"code": "nope"}))["serviceItem"] is None
    assert (await gql_data(client, GUIDE, {"code": "x" * 500}))["serviceItem"] is None


async def test_service_halls_are_named_as_art_22_prescribes(client: httpx.AsyncClient) -> None:
    halls = (await gql_data(client, "{ serviceHalls { name level address openingHours phone } }"))["serviceHalls"]
    levels = {hall["level"] for hall in halls}
    assert levels == {"CITY", "DISTRICT", "CENTRE", "STATION"}
    for hall in halls:
        suffix = {"CITY": "政务服务中心", "DISTRICT": "政务服务大厅", "CENTRE": "便民服务中心", "STATION": "便民服务站"}
        assert hall["name"].endswith(suffix[hall["level"]])
        assert hall["address"] and hall["openingHours"] and hall["phone"]


async def test_materials_of_a_guide_keep_their_order(client: httpx.AsyncClient) -> None:
    item = await ServiceItem.get(name="教师资格认定").prefetch_related("guide")
    expected = [m.name for m in await Material.filter(guide_id=item.guide.id).order_by("position")]
    data = (await gql_data(client, GUIDE, {"code": item.code}))["serviceItem"]
    assert [m["name"] for m in data["guide"]["materials"]] == expected
