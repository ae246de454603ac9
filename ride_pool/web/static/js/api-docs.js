// Starts Swagger UI on /docs (the bundle itself is served from /docs/assets/, shipped in the
// fastapi-offline package). A file of its own because the Content-Security-Policy allows no
// inline scripts; the OpenAPI URL comes from the page's data-openapi-url attribute.
/* global SwaggerUIBundle */
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
