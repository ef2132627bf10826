import pytest

from services.classify.language import LanguageIdentifier


@pytest.fixture(scope="module")
def identify():
    return LanguageIdentifier()


@pytest.mark.parametrize(
    "text,code",
    [
        ("Тапсырысым әлі келген жоқ, қашан жеткізесіздер?", "kk"),
        ("Моє замовлення досі не прийшло, що відбувається?", "uk"),
        ("Мой заказ до сих пор не пришёл, что происходит?", "ru"),
        ("سفارش من اشتباه ارسال شده، لطفا پیگیری کنید", "fa"),
        ("وين طلبي؟ صار لي أسبوعين أنتظر", "ar"),
        ("Siparişim yanlış beden geldi, iade nasıl yapılır?", "tr"),
        ("@VoltMobile Wo ist mein Paket? https://t.co/x1", "de"),
    ],
)
def test_languages_of_customer_messages(identify, text, code):
    detected = identify.detect(text)
    assert detected.code == code
    assert 0 < detected.confidence <= 1


@pytest.mark.parametrize("text", ["😡😡😡", "ok", "48213", "", "@NordaShop 👍", "https://x.co/a"])
def test_emoji_only_or_too_short_texts_are_undetermined(identify, text):
    assert identify.detect(text).code == "und"
