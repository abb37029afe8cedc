import { authedQuery } from './graphql.js'

export function me() {
  return authedQuery(`{ me { name idNumberMasked phoneMasked roles elderMode enterprises { uscc name role } } }`)
}

// 长辈模式 remembered on the account (src/lib/elder.js keeps it on the device too).
export function setAccountElderMode(on) {
  return authedQuery(`mutation($on: Boolean!) { setElderMode(on: $on) { __typename
    ... on ElderModeSet { on } ... on NotPermittedError { message } } }`, { on })
}

export function personalCode() {
  return authedQuery(`{ personalCode { token qrSvg expiresAt } }`)
}

export function revealMyNumber(field) {
  return authedQuery(`mutation($field: SensitiveField!) { revealMyNumber(field: $field) {
    __typename ... on RevealedNumber { value } ... on InputError { message } ... on NotFoundError { message } } }`,
  { field })
}

export function dataAccessLog(after) {
  return authedQuery(`query($after: String) { myDataAccessLog(first: 20, after: $after) {
    totalCount edges { node { id actorName what purpose outcome at } } pageInfo { hasNextPage endCursor } } }`,
  { after })
}

export function enterprise(uscc) {
  return authedQuery(`query($uscc: String!) { enterprise(uscc: $uscc) {
    uscc name myRole myScope myAuthorityExpiresAt
    agents { name authority { id scope expiresAt revokedAt } }
    code { token qrSvg expiresAt } } }`, { uscc })
}

export function enterpriseCode(uscc) {
  return authedQuery(`query($uscc: String!) { enterprise(uscc: $uscc) { code { token qrSvg expiresAt } } }`, { uscc })
}

export function grantAgentAuthority(input) {
  return authedQuery(`mutation($input: GrantAgentAuthorityInput!) { grantAgentAuthority(input: $input) {
    __typename ... on AgentAuthorityGranted { authority { id } }
    ... on InputError { field message } ... on NotPermittedError { message } } }`, { input })
}

export function revokeAgentAuthority(id) {
  return authedQuery(`mutation($id: ID!) { revokeAgentAuthority(id: $id) {
    __typename ... on AgentAuthorityRevoked { authority { id } } ... on NotFoundError { message }
    ... on InputError { message } } }`, { id })
}

export const ROLE_LABELS = { LEGAL_REPRESENTATIVE: '法定代表人', AGENT: '经办人', STAFF: '窗口工作人员', SUPERVISOR: '电子监察' }
