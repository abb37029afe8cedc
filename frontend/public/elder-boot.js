// 长辈模式 before the first paint (a classic script in <head>: no flash of the standard mode).
// src/lib/elder.js keeps it up to date afterwards.
try {
  if (localStorage.getItem('zsb.elder') === '1') document.documentElement.setAttribute('data-mode', 'elder')
} catch (e) { /* storage blocked: the standard mode */ }
