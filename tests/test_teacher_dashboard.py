# ---- the school plan's submit shares the state and the receipt ---------------------------


def test_the_school_plan_submit_gives_a_receipt_and_the_window_its_sentence(
    client, world, clock
) -> None:
    planner = world["planners"][Stage.ELEMENTARY]
    clock.set(taipei(2024, 8, 20, 10, 0))  # 國小 school window: 8/14 – 8/23 17:00
    login_account(client, planner)
    client.post("/school/plan", data=school_form(0, action="submit"))
    page = _text(client.get("/school/plan").get_data(as_text=True))
    plan_id = db.session.scalar(
        select(SchoolPlan.id).where(SchoolPlan.school_id == world["schools"][Stage.ELEMENTARY].id)
    )
    reference = receipts.reference(PlanKind.SCHOOL, 113, plan_id, 1)
    assert f"（第 1 次送出），收據編號 {reference}" in page  # the flash after submitting
    assert "送出收據" in page
    clock.set(taipei(2024, 8, 24, 9, 0))
    page = _text(client.get("/school/plan").get_data(as_text=True))
    assert "已於 113年8月23日 17:00 截止。" in page
    assert "如需延長填寫，請向高雄市政府教育局申請；延長由主管機關核定。" in page
