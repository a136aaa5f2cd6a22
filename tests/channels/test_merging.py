"""Several texts of one answer become one message where the messenger allows: one pacing slot, not three."""

from __future__ import annotations

from bot.channels.merging import merge
from bot.channels.pacing import Pacer
from bot.engine import Choice, Reply


def test_plain_texts_lead_the_question_after_them() -> None:
    menu = Reply("Anh/Chị muốn làm gì?", choices=[Choice("Đăng nhập", "login")])
    (one,) = merge([Reply("Đã lưu.", delete_incoming=True), Reply("Xin chào Anh/Chị."), menu], 4096)
    assert one.text == "Đã lưu.\n\nXin chào Anh/Chị.\n\nAnh/Chị muốn làm gì?"
    assert one.choices == menu.choices and one.delete_incoming  # the password is still deleted


def test_pictures_buttons_and_the_length_limit_keep_messages_apart() -> None:
    qr = Reply("Mã QR", image_key="token")
    asked = Reply("Chọn:", choices=[Choice("Có", "yes")])
    assert merge([Reply("Đăng ký thành công."), qr], 4096) == [Reply("Đăng ký thành công."), qr]
    assert merge([asked, Reply("Tiếp theo")], 4096) == [asked, Reply("Tiếp theo")]  # a question's buttons stay
    long = Reply("x" * 3000)
    assert merge([long, Reply("y" * 1100)], 4096) == [long, Reply("y" * 1100)]


def test_a_webhook_answer_spends_the_chats_burst() -> None:
    pacer = Pacer(global_per_second=30, per_chat_per_second=1, per_chat_burst=2)
    assert pacer.take_now(7) and pacer.take_now(7)
    assert not pacer.take_now(7)  # the third waits its turn through the sender
    assert pacer.take_now(8)  # another chat is not held up


def test_webhook_answers_leave_room_below_the_global_rate() -> None:
    """A webhook's answer that meets a 429 is lost without a word, so near the rate the answers are sent by us."""
    pacer = Pacer(global_per_second=10, per_chat_per_second=1, per_chat_burst=1)
    inline = [pacer.take_now(chat) for chat in range(10)]
    assert inline == [True] * 8 + [False] * 2  # 80 % of the second's ten go in webhook answers
