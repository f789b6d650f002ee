// Starts GraphiQL from the vendored UMD globals (React, ReactDOM, GraphiQL, GraphiQLPluginExplorer).
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("taskql-graphiql-config").textContent);

  // The page is served by the GraphQL endpoint itself: queries go back to the same path.
  var endpoint = window.location.pathname;
  var subscriptionUrl = new URL(endpoint, window.location.href);
  subscriptionUrl.protocol = subscriptionUrl.protocol === "https:" ? "wss:" : "ws:";
  var send = GraphiQL.createFetcher({ url: endpoint, subscriptionUrl: subscriptionUrl.href });

  // The headers editor shows the Authorization hint; until a real token replaces it the
  // request goes out anonymous instead of failing with "invalid token".
  function withoutHint(headers) {
    var kept = {};
    Object.keys(headers || {}).forEach(function (name) {
      if (headers[name] !== config.authorizationHint) {
        kept[name] = headers[name];
      }
    });
    return kept;
  }

  function fetcher(params, options) {
    var opts = Object.assign({}, options);
    opts.headers = withoutHint(opts.headers);
    return send(params, opts);
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: config.tabs,
      defaultHeaders: config.headers,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    })
  );
})();
