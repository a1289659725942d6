from etl.text import has_control_chars, normalize


def test_normalize_folds_spaces_width_and_traditional_characters():
    assert normalize(" 重慶\u3000市 ") == "重庆市"
    assert normalize("廣州") == "广州"
    assert normalize("城市名稱") == "城市名称"
    assert normalize("ＲＡＮＫ") == "rank"


def test_control_characters_are_detected():
    assert has_control_chars("重庆\x07")
    assert not has_control_chars("重庆市")
