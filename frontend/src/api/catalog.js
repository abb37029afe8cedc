// The catalog queries the screens use. Field names follow schema.graphql at the repo root.
import { cachedQuery, query } from './graphql.js'

const ITEM_FIELDS = 'code name itemType itemTypeLabel highFrequency isBundle department { id name }'

export const PAGE_SIZE = 20

// 首页: high-frequency grid + departments. Saved on the device for offline use.
export function homeData() {
  return cachedQuery('home', `{
    frequent: serviceItems(highFrequency: true, first: 12) { totalCount edges { node { ${ITEM_FIELDS} } } }
    departments { id name itemCount }
  }`)
}

const PAGE_QUERY = `query Items($search: String, $itemType: ItemType, $audience: Audience, $departmentId: ID,
    $first: Int!, $after: String) {
  serviceItems(search: $search, itemType: $itemType, audience: $audience, departmentId: $departmentId,
      first: $first, after: $after) {
    totalCount
    edges { cursor node { ${ITEM_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`

// One page of 搜索 results (never saved: searching needs the network).
export function searchItems({ search, itemType, audience, after, first = PAGE_SIZE }, options) {
  return query(PAGE_QUERY, { search, itemType, audience, after, first }, options)
}

// One page of a department's items. The first page is saved for offline use.
export function departmentItems(departmentId, after = null) {
  const variables = { departmentId, first: PAGE_SIZE, after }
  if (after) return query(PAGE_QUERY, variables).then((data) => ({ data, savedAt: null }))
  return cachedQuery(`department:${departmentId}`, PAGE_QUERY, variables)
}

export function departments() {
  return cachedQuery('departments', '{ departments { id code name itemCount } }')
}

// A guide asked for by the router while the screen's code is still on its way (a first visit
// straight to /items/…): the screen takes that answer instead of asking again, so the request
// and the code download overlap. Taken once, and only while fresh.
const EARLY_MS = 10_000
const early = new Map()

export function prefetchGuide(code) {
  if (early.has(code)) return
  const answer = guideQuery(code)
  answer.catch(() => {}) // the screen reports it when it takes the answer
  early.set(code, { answer, at: Date.now() })
}

// The whole 办事指南 of one item. Every guide opened is saved for offline use.
export function guide(code) {
  const asked = early.get(code)
  early.delete(code)
  return asked && Date.now() - asked.at < EARLY_MS ? asked.answer : guideQuery(code)
}

function guideQuery(code) {
  return cachedQuery(`item:${code}`, `query Guide($code: String!) {
    serviceItem(code: $code) {
      id code name itemType itemTypeLabel audience highFrequency isBundle isDemo remark
      department { id code name }
      satisfaction { ratings satisfied rate }
      halls { id name level district address openingHours phone }
      guide {
        basicCode sourceOfPower caseKind caseKindLabel levelExercised implementingBody serviceObject
        intermediaryService fees onSiteVisits promisedDays statutoryDays resultSample officeHours
        consultation location complaintChannel acceptanceConditions legalBasis onlineAddress isDemo
        sampleForms { name url }
        materials { id name materialType materialTypeLabel sampleText copies specification
          electronicRequired blankForm required deficiencyAllowed licenseType { code name } }
        process { order title description }
        faq { question answer }
      }
    }
  }`, { code })
}
