// Renders the OpenAPI document embedded in the page with Redoc. Everything is local: the
// spec is inline, the fonts are the system's, and nothing is fetched from the network.
(function () {
  "use strict";
  var spec = JSON.parse(document.getElementById("leads-spec").textContent);
  var system = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  var mono = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace';
  var options = {
    expandResponses: "200",
    jsonSampleExpandLevel: 3,
    sortPropsAlphabetically: false,
    theme: {
      typography: {
        fontFamily: system,
        headings: { fontFamily: system },
        code: { fontFamily: mono }
      }
    }
  };
  Redoc.init(spec, options, document.getElementById("redoc"));
})();
