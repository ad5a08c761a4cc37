def test_openapi_is_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert "/api/meetings" in response.json["paths"]
