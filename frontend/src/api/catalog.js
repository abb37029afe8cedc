import { cachedQuery, query } from './graphql.js'

const ITEM_FIELDS = `code name itemTypeLabel highFrequency isBundle audience department { name }`

export function homeData() {
  return cachedQuery('home', `{
    frequent: serviceItems(highFrequency: true, first: 12) { edges { node { ${ITEM_FIELDS} } } }
    departments { id name itemCount }
  }`)
}

export function searchItems({ search, departmentId, first = 20, after }) {
  return query(`query Search($search: String, $departmentId: ID, $first: Int, $after: String) {
    serviceItems(search: $search, departmentId: $departmentId, first: $first, after: $after) {
      totalCount
      edges { cursor node { ${ITEM_FIELDS} } }
      pageInfo { hasNextPage endCursor }
    }
  }`, { search, departmentId, first, after })
}

export function departmentItems(id) {
  return cachedQuery(`department:${id}`, `query Dept($id: ID) {
    departments { id name itemCount }
    serviceItems(departmentId: $id, first: 200) { totalCount edges { node { ${ITEM_FIELDS} } } }
  }`, { id })
}

export function departments() {
  return cachedQuery('departments', `{ departments { id name itemCount } }`)
}

export function guide(code) {
  return cachedQuery(`item:${code}`, `query Guide($code: String!) {
    serviceItem(code: $code) {
      code name itemType itemTypeLabel audience highFrequency isBundle isDemo remark
      department { id name }
      halls { id name level address openingHours phone }
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
