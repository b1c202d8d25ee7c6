"""Documents printed from the portal: an A4 PDF rendered by WeasyPrint from HTML."""

from django.http import HttpResponse


def pdf_response(html: str, filename: str) -> HttpResponse:
    """``html`` as a PDF shown in the browser. Personal data: never cached, and ``filename``
    names the document, never a person."""
    from weasyprint import HTML  # imported on use: most pages do not need it

    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
