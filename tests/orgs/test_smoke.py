def test_district_builds(district):
    assert district.comm_a1.path.startswith(district.street_a.path)
