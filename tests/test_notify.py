

def test_a_subscription_must_name_an_allowed_push_service(notify_api):
    from ride_pool.api.channels import push_endpoint_allowed
    api = notify_api
    rider = api.register("paula@example.org")
    keys = api.push.keys
    for endpoint in ("http://10.0.0.1/internal", "https://intranet.example.org/x", "ftp://127.0.0.1/x"):
        r = api.post("/api/v1/me/push-subscriptions", headers=rider, json={"endpoint": endpoint, "keys": keys})
        assert r.status_code == 422 and r.json()["detail"]["code"] == "push_subscription_invalid", endpoint
    defaults = "fcm.googleapis.com,updates.push.services.mozilla.com,.notify.windows.com,.push.apple.com"
    assert push_endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc", defaults)
    assert push_endpoint_allowed("https://db5p.notify.windows.com/w/?token=x", defaults)
    assert not push_endpoint_allowed("http://fcm.googleapis.com/fcm/send/abc", defaults)
    assert not push_endpoint_allowed("https://evil.example/fcm.googleapis.com", defaults)
