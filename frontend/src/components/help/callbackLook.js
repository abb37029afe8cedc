// How a call-back request's status looks (colours ≥ 4.5:1 with white text).
export const CALLBACK_TAG = { PENDING: 'warning', CALLED: 'success', UNREACHABLE: 'default' }
