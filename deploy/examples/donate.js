// Enhances donate.html: posts the pledge as JSON (a CORS request with an Idempotency-Key, so a
// double-click never makes two pledges) and follows the checkout URL. Without JavaScript the
// plain form post does the same.
(function () {
  var form = document.getElementById("pledge");
  if (!form || !window.fetch || !window.crypto || !crypto.randomUUID) return;
  // ?api=https://support.example overrides where the API lives (the form's action by default).
  var api = new URLSearchParams(location.search).get("api");
  if (api) form.action = api.replace(/\/$/, "") + "/v1/pledges";
  var key = crypto.randomUUID();
  var status = document.getElementById("status");

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    status.textContent = "";
    var body = {};
    new FormData(form).forEach(function (value, name) { body[name] = value; });
    fetch(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": key },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (json) { return { ok: response.ok, json: json }; });
    }).then(function (result) {
      if (result.ok) {
        location.assign(result.json.checkout_url);
        return;
      }
      var errors = result.json.errors || [];
      status.textContent = errors.length ? errors.map(function (e) { return e.message; }).join(" ")
                                         : (result.json.detail || "Something went wrong.");
      button.disabled = false;
      key = crypto.randomUUID();  // a changed pledge is a new request
    }).catch(function () {
      status.textContent = "We could not reach our payment service. Please try again.";
      button.disabled = false;
    });
  });
})();
