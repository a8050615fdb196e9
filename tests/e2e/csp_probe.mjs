// What the CSP tests inject into the page (run by the browser driver's evaluate): an inline
// script and an inline event handler, which the page's Content-Security-Policy must refuse.
// Returns whether each ran. (eval cannot be probed this way: a driver's evaluations are exempt
// from the page's CSP; the policy has no 'unsafe-eval', which the tests assert.)
export async function injectScripts() {
  const script = document.createElement('script');
  script.textContent = 'window.__injected = true';
  document.head.append(script);
  const button = document.createElement('button');
  button.setAttribute('onclick', 'window.__handler = true');
  document.body.append(button);
  button.click();
  button.remove();
  await new Promise((r) => setTimeout(r, 300));
  return { script: window.__injected === true, handler: window.__handler === true };
}
